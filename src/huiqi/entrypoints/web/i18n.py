"""Languages of the pages: Babel message catalogues (zh_CN by default, en), Jinja2 environments,
and money and dates as people read them (¥12,345.67, 1,234.57万元, 2025年6月30日).

Message ids are English; the `.po` files in `locale/zh_CN/LC_MESSAGES/` give the Chinese (one
per area of the site: messages.po for the public pages, portal.po, workspace.po, …; they are
merged, and an id given twice must say the same). The catalogue is compiled in memory at
start-up, so no compiled file is kept in git and an edit of the .po is live on the next start.
tests/test_web_i18n.py checks every message the templates and page code use has its Chinese.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from huiqi.entrypoints.web import labels
from huiqi.money import round_fen
from huiqi.region_text import region_label

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"
BABEL_LOCALES: dict[Lang, str] = {"zh": "zh_Hans_CN", "en": "en"}
HTML_LANG: dict[Lang, str] = {"zh": "zh-CN", "en": "en"}

HERE = Path(__file__).parent
LOCALE_DIR = HERE / "locale"
TEMPLATES = HERE / "templates"


def as_lang(raw: object) -> Lang | None:
    if raw == "zh":
        return "zh"
    if raw == "en":
        return "en"
    return None


@cache
def translations(lang: Lang) -> gettext.NullTranslations:
    """The catalogue of a language (English is the message ids themselves)."""
    if lang == "en":
        return gettext.NullTranslations()
    catalog = merged_catalogue()
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


def catalogue_files() -> list[Path]:
    return sorted((LOCALE_DIR / "zh_CN" / "LC_MESSAGES").glob("*.po"))


def merged_catalogue() -> Catalog:
    """Every .po of zh_CN in one catalogue (an id in two files says the same: tests/test_web_i18n.py)."""
    merged = Catalog(locale="zh_Hans_CN")
    for path in catalogue_files():
        with path.open("rb") as po:
            for message in read_po(po, locale="zh_Hans_CN"):
                if message.id and message.id not in merged:
                    merged[message.id] = message
    return merged


def gettext_for(lang: Lang) -> Any:
    return translations(lang).gettext


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | str):
        return Decimal(value)
    raise TypeError(f"not an amount: {value!r}")  # a float never reaches a page


def yuan(value: object) -> str:
    """¥12,345.67 (rounded to the fen, half up, like every amount in huiqi)."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    fen = round_fen(amount)
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen):,.2f}"


def wan(value: object, lang: Lang = "zh") -> str:
    """1,234.57万元 in Chinese (ten-thousands, two places); ¥12,345,700.00 in English."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    if lang != "zh":
        return yuan(amount)
    in_wan = round_fen(round_fen(amount) / 10_000)
    return f"{in_wan:,.2f}万元"


def amount_range(value: Mapping[str, str] | None, lang: Lang = "zh") -> str:
    """An amount or the range a review decides: ¥1,000.00 or ¥1,000.00 – ¥3,000.00."""
    if not value:
        return "—"
    low, high = value["min"], value["max"]
    if Decimal(low) == Decimal(high):
        return yuan(low)
    return f"{yuan(low)} – {yuan(high)}"


def day(value: object, lang: Lang = "zh") -> str:
    """2025年6月30日 / June 30, 2025."""
    if value is None or value == "":
        return "—"
    when = value if isinstance(value, date) else date.fromisoformat(str(value))
    return format_date(when, format="long", locale=BABEL_LOCALES[lang])


CHINA = timezone(timedelta(hours=8))  # China Standard Time, no summer time: how readers tell the hour


def moment(value: object, lang: Lang = "zh") -> str:
    """An instant (ISO text or a datetime) as a day and a time in China: 2027年1月5日 17:00（北京时间）."""
    if value is None or value == "":
        return "—"
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    local = when.astimezone(CHINA) if when.tzinfo is not None else when
    zone = "（北京时间）" if lang == "zh" else " (Beijing time)"
    return f"{day(local.date(), lang)} {local:%H:%M}{zone}"


def district_name(code: object, lang: Lang = "zh") -> str:
    """上海市闵行区 for 310112 (and for huiqi's old code minhang); Minhang, Shanghai in English; the
    code itself for one that names no region."""
    return region_label(code, lang)


@cache
def environment(lang: Lang) -> Environment:
    """One Jinja2 environment per language (the catalogue installed once; thread-safe)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["yuan"] = yuan
    env.filters["wan"] = lambda value: wan(value, lang)
    env.filters["amount"] = lambda value: amount_range(value, lang)
    env.filters["day"] = lambda value: day(value, lang)
    env.filters["moment"] = lambda value: moment(value, lang)
    env.filters["district"] = lambda code: district_name(code, lang)
    env.globals["lang"] = lang
    env.globals["labels"] = labels
    env.globals["html_lang"] = HTML_LANG[lang]
    return env
