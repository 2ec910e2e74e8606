"""Every message a page shows has its Chinese: the catalogue covers what the templates and page code use."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from huiqi.entrypoints.web.i18n import amount_range, catalogue_files, day, wan, yuan

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "src/huiqi/entrypoints/web"


def extracted() -> set[str]:
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), method_map, options, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_page_message_has_its_chinese() -> None:
    translated: dict[str, str] = {}
    for path in catalogue_files():
        with path.open("rb") as po:
            for m in read_po(po):
                if m.id and m.string and not m.fuzzy:
                    assert translated.setdefault(m.id, m.string) == m.string, f"{path.name}: {m.id!r} differs"
    messages = extracted()
    assert len(messages) > 100
    missing = sorted(m for m in messages if m not in translated)
    assert missing == [], f"add these to the zh_CN catalogue (see docs/web.md): {missing}"


def test_money_and_dates_as_people_read_them() -> None:
    assert yuan("12345.675") == "¥12,345.68"  # half up, to the fen
    assert yuan("-5") == "-¥5.00"
    assert wan("12345700") == "1,234.57万元"
    assert wan("12345700", "en") == "¥12,345,700.00"
    assert amount_range({"min": "1000", "max": "3000"}) == "¥1,000.00 – ¥3,000.00"
    assert amount_range({"min": "3000.00", "max": "3000"}) == "¥3,000.00"
    assert day("2025-06-30") == "2025年6月30日"
    assert day("2025-06-30", "en") == "June 30, 2025"
