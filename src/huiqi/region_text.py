"""Regions as the pages and sheets show them, and a filter's text read to a code, forgiving: a stored
code from before regions (minhang) is named as its region, and text naming no region is left as is."""

from __future__ import annotations

from huiqi.regions import HOME, display, read_region, within


def region_label(code: object, lang: str = "zh") -> str:
    """闵行区 for 310112 or minhang (Shanghai's own regions by their name: huiqi's home), 广东省深圳市南山区
    for 440305; Minhang, Shanghai in English; the text itself for one naming no region."""
    text = "" if code is None else str(code)
    try:
        found = read_region(text, prefer=HOME)
    except (ValueError, KeyError):
        return text
    if lang == "zh" and found.code != HOME and within(found.code, HOME):
        return found.name
    return display(found.code, lang)


def region_code(text: str) -> str | None:
    """The code a filter's text names, or None (unknown text in a link is ignored, not an error)."""
    try:
        return read_region(text, prefer=HOME).code if text.strip() else None
    except ValueError:
        return None
