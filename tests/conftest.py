from __future__ import annotations

import pytest

from huiqi.policy_files import load_library
from huiqi.rules.library import Library


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library()
