"""A store address typed by a person: its password never shown, an address that cannot be read refused in
one line (no database server needed)."""

from __future__ import annotations

import pytest

from hea_campaign.db.engine import safe_url
from hea_campaign.tui.cli import main


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql+psycopg://lab:s3cret@db.example:5432/hea", "postgresql+psycopg://lab:***@db.example:5432/hea"),
    ("postgresql+psycopg://lab@db:5432/hea?password=s3cret", "postgresql+psycopg://lab@db:5432/hea?password=***"),
    ("postgresql:///hea?host=db&user=lab&PASSWORD=s3cret&sslmode=require",
     "postgresql:///hea?host=db&user=lab&PASSWORD=***&sslmode=require"),
    ("postgresql+psycopg://lab:s3c@ret@db:5432/hea", "postgresql+psycopg://lab:***@db:5432/hea"),  # an unescaped @
    ("postgresql://lab:s3c/ret@db/hea", "postgresql://lab:***@db/hea"),  # an unescaped /
    ("postgresql+psycopg://lab:s3cret@db:notaport/hea", "postgresql+psycopg://lab:***@db:notaport/hea"),
    ("sqlite:////tmp/lab:notes@2025.db", "sqlite:////tmp/lab:notes@2025.db"),  # a file path, no password
    ("postgresql://db:5432/hea", "postgresql://db:5432/hea"),
])
def test_the_password_is_masked_wherever_the_address_writes_it(url, shown):
    assert safe_url(url) == shown


@pytest.mark.parametrize(("url", "why"), [
    ("postgresql+psycopg://lab:s3cret@127.0.0.1:notaport/hea", "(the port 'notaport' is not a number)"),
    ("postgresql+psycopg://lab:s3cret@[::1/hea", "(the port ':1' is not a number)"),
])
def test_an_address_that_cannot_be_read_is_one_line_without_the_password(capsys, url, why):
    """A port that is not a number was 'internal error (ValueError: invalid literal for int() ...)'."""
    assert main(["status", "--db", url]) == 2
    out = capsys.readouterr()
    lines = out.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot use that store address: "), out.err
    assert lines[0].endswith(why) and "s3cret" not in out.err + out.out
