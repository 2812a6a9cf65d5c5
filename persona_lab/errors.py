"""The one user-facing error type.

Every problem a user can cause (a bad file, a column that cannot be used, a k the data cannot
support) raises :class:`PersonaLabError`. The app shows it with ``st.error``, the CLI prints it on
one line and exits with code 2. Any other exception is a bug in Persona Lab.
"""

from __future__ import annotations


class PersonaLabError(ValueError):
    """What is wrong, where, and how to fix it.

    Subclassing ``ValueError`` keeps scikit-learn-style callers that catch ``ValueError`` working.
    """

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None):
        self.what = what.rstrip(".")
        self.where = where
        self.fix = fix
        super().__init__(self.one_line())

    def one_line(self) -> str:
        text = self.what
        if self.where:
            text += f" (in {self.where})"
        text += "."
        if self.fix:
            text += " " + self.fix.rstrip(".") + "."
        # The CLI promises one line; user text (file or column names) may hold newlines.
        return " ".join(text.split())
