"""The typing tool as a questionnaire a person can use: ``typing_tool.md``, ``typing_tool.pdf``
and ``typing_tool.json``.

Each holds the questions with their answers, the points table (the scoring rule, to apply by hand
or in a spreadsheet) and the cross-validated accuracy for every number of questions tried. User
text (column names, category values, persona names) is data: escaped in Markdown, drawn with
the report's one-line cells in the PDF (never markdown), and plain strings in the JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

from fpdf import FPDF

from ..errors import PersonaLabError
from ..typing_tool import TypingTool
from . import layout as L
from .atomic import atomic_write
from .markdown import escape
from .pdf import _creation_date  # the one reading of SOURCE_DATE_EPOCH (byte-identical reruns)

ANSWER_WIDTH, NAME_WIDTH = 62.0, 24.0  # mm: the answer column; the narrowest column that shows a name
HOW_TO = ("Ask the respondent every question. Give each persona its start points, then add, for every "
          "answer given, the points in that answer's row. The persona with the most points is the "
          "respondent's; a tie goes to the persona listed first. A category that is not listed counts "
          "as \"other / not listed\".")


def _percent(x: float) -> str:
    return f"{100 * x:.0f}%"


def _accuracy(tool: TypingTool, entry: dict) -> str:
    return f"{_percent(entry['accuracy'])} ± {100 * entry['accuracy_sd']:.0f} points"


def markdown_text(tool: TypingTool) -> str:
    names = [escape(n) for n in tool.persona_names]
    lines = [f"# Typing tool: {tool.statement()}", "", HOW_TO, "", "## Questions", ""]
    for number, question in enumerate(tool.questions, start=1):
        lines.append(f"{number}. **{escape(question.title)}** ({'choose one' if question.kind == 'category' else 'a number; choose its range'})")
        lines += [f"    - {escape(answer)}" for answer in question.answers]
    lines += ["", "## Scoring", "", "| start points | " + " | ".join(names) + " |",
              "|---|" + "---:|" * len(names), "| (everyone) | " + " | ".join(str(int(p)) for p in tool.start_points) + " |"]
    for number, (question, table) in enumerate(zip(tool.questions, tool.points), start=1):
        lines += ["", f"**{number}. {escape(question.title)}**", "",
                  "| answer | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
        lines += [f"| {escape(answer)} | " + " | ".join(str(int(p)) for p in row) + " |"
                  for answer, row in zip(question.answers, table)]
    lines += ["", "## Accuracy by number of questions", "",
              f"Stratified {tool.folds}-fold cross-validation on {tool.n_rows:,} respondents (seed {tool.seed}); "
              "mean ± standard deviation over folds. Questions are added in the order shown.", "",
              "| questions | question added | correct |", "|---:|---|---:|"]
    for entry in tool.curve:
        mark = " (chosen)" if entry["n_questions"] == tool.n_questions else ""
        lines.append(f"| {entry['n_questions']}{mark} | {escape(entry.get('title') or entry['question'])} | {_accuracy(tool, entry)} |")
    if tool.notes:
        lines += ["", "## Notes", ""] + [f"- {escape(n)}" for n in tool.notes]
    return "\n".join(lines) + "\n"


def pdf_bytes(tool: TypingTool) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    L.add_fonts(pdf, json.dumps(tool.to_dict(), ensure_ascii=False))
    pdf.set_margins(L.MARGIN, L.MARGIN, L.MARGIN)
    pdf.set_auto_page_break(True, margin=L.FOOTER_SPACE)
    pdf.set_title("Typing tool")
    pdf.set_creator("Persona Lab")
    date = _creation_date()
    if date is not None:
        pdf.set_creation_date(date)
    pdf.add_page()
    L.text_at(pdf, L.MARGIN, L.MARGIN, "Typing tool", 20, L.INK, bold=True)
    L.text_at(pdf, L.MARGIN, L.MARGIN + 10, tool.statement(), 12, L.MUTED)
    pdf.set_y(L.MARGIN + 18)
    L.block(pdf, HOW_TO, size=9, line=4.5)
    L.heading(pdf, "Questions", L.INK)
    for number, question in enumerate(tool.questions, start=1):
        _keep_together(pdf, L.LINE * (len(question.answers) + 2))
        pdf.set_x(L.MARGIN)
        L.cell(pdf, pdf.epw, 6, f"{number}. {question.text}", 10, L.INK, bold=True, newline=True)
        for answer in question.answers:
            pdf.set_x(L.MARGIN + 6)
            L.cell(pdf, pdf.epw - 6, L.LINE, f"☐  {answer}", 9, L.INK, newline=True)
        pdf.ln(1.5)
    L.heading(pdf, "Scoring", L.INK)
    if _column_width(pdf, tool) < NAME_WIDTH:  # too narrow for names: numbered columns and a key
        L.block(pdf, "Personas: " + "; ".join(f"{i} = {n}" for i, n in enumerate(tool.persona_names, 1)), 9, 4.5)
    _points_table(pdf, tool, "Start points", [("(everyone)", tool.start_points)])
    for number, (question, table) in enumerate(zip(tool.questions, tool.points), start=1):
        _points_table(pdf, tool, f"{number}. {question.title}", list(zip(question.answers, table)))
    L.heading(pdf, "Accuracy by number of questions", L.INK)
    L.caption(pdf, f"Stratified {tool.folds}-fold cross-validation on {tool.n_rows:,} respondents (seed {tool.seed}); "
                   "mean ± standard deviation over folds. Questions are added in the order shown.")
    for entry in tool.curve:
        chosen = entry["n_questions"] == tool.n_questions
        pdf.set_x(L.MARGIN)
        L.cell(pdf, 24, L.LINE + 1, f"{entry['n_questions']}{' (chosen)' if chosen else ''}", 9, L.INK, bold=chosen)
        L.cell(pdf, pdf.epw - 64, L.LINE + 1, entry.get("title") or entry["question"], 9, L.INK, bold=chosen)
        L.cell(pdf, 40, L.LINE + 1, _accuracy(tool, entry), 9, L.INK, bold=chosen, align="R", newline=True)
    for note in tool.notes:
        L.caption(pdf, note)
    return bytes(pdf.output())


def _points_table(pdf: FPDF, tool: TypingTool, title: str, rows: list) -> None:
    width = _column_width(pdf, tool)
    _keep_together(pdf, 6 * (len(rows) + 2))
    pdf.set_x(L.MARGIN)
    L.cell(pdf, ANSWER_WIDTH, 6, title, 9, L.INK, bold=True)
    for number, name in enumerate(tool.persona_names, start=1):
        L.cell(pdf, width, 6, name if width >= NAME_WIDTH else str(number), 8, L.MUTED, bold=True, align="R")
    pdf.ln(6)
    for answer, points in rows:
        pdf.set_draw_color(*L.RULE)
        pdf.line(L.MARGIN, pdf.get_y(), L.MARGIN + pdf.epw, pdf.get_y())
        pdf.set_x(L.MARGIN)
        L.cell(pdf, ANSWER_WIDTH, 5.5, answer, 9, L.INK)
        for p in points:
            L.cell(pdf, width, 5.5, str(int(p)), 9, L.INK, align="R")
        pdf.ln(5.5)
    pdf.ln(3)


def _column_width(pdf: FPDF, tool: TypingTool) -> float:
    return (pdf.epw - ANSWER_WIDTH) / len(tool.persona_names)


def _keep_together(pdf: FPDF, height: float) -> None:
    if L.room(pdf) < height:
        pdf.add_page()


def write_typing_tool(tool: TypingTool, out_dir) -> dict[str, Path]:
    """Write ``typing_tool.md``, ``typing_tool.pdf`` and ``typing_tool.json`` into ``out_dir``."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PersonaLabError(f"Cannot create the output folder: {exc.strerror or exc}", where=str(out),
                              fix="Choose a folder you can write to") from exc
    return {
        "json": atomic_write(out / "typing_tool.json", json.dumps(tool.to_dict(), indent=2, ensure_ascii=False) + "\n"),
        "markdown": atomic_write(out / "typing_tool.md", markdown_text(tool)),
        "pdf": atomic_write(out / "typing_tool.pdf", pdf_bytes(tool)),
    }
