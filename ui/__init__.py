"""The Streamlit app around ``persona_lab`` (app.py is its router and sidebar).

- :mod:`ui.state`: every session-state key and its default, declared once; widget bindings; the
  sidebar's :class:`~ui.state.Choice` of method, k and seed.
- :mod:`ui.runs`: every cached call into ``persona_lab`` (the only ``st.cache_*`` of the app).
- :mod:`ui.dataset`: which dataset the session works on (source, sheet, kind, roles).
- :mod:`ui.edited_sets`: the Personas page's session (edited persona sets, a loaded file).
- :mod:`ui.views`: how results are shown (markdown-safe text, errors, progress, cards, tables).
- ``ui/pages/``: one script per page, widgets and layout only.

Imports flow one way: pages -> ui modules -> ``persona_lab``; ``persona_lab`` never imports
streamlit or ``ui``.
"""
