"""The register keys of the config: an account's communication plan and the `[monitors]` table.

The plan holds the answers of the communication plan new accounts need (Pajala's appendix
"Kommunikationsplan sociala medier"); the questions that already have an account key of their
own are answered there: purpose (syfte, question 3) in `purpose`, the start (4) in
`start_date`, the audience (6, 7) in `audience`, who is responsible (9) in `editor` and who
stands in (10) in `substitute`. See docs/configuration.md.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from somed.config_errors import _invalid
from somed.config_notify import ResponseDefaults

ACCOUNT_STATUSES = ("active", "closing", "closed")
DEFAULT_INACTIVE_MONTHS = 6

# plan key -> the question of Pajala's appendix it answers (its number there), for docs and UI
PLAN_QUESTIONS: dict[str, str] = {
    "channel_choice": "1. Vilket socialt media har ni valt och varför?",
    "comparison": "2. Har ni gjort någon jämförelse mellan olika medier?",
    "update_frequency": "5. Hur ofta ska ni uppdatera?",
    "rules_known": "8. Anser ni att ni är insatta i de regelverk som finns för att kunna "
    "närvara på sociala medier?",
    "password_holders": "11. Vilka har tillgång till lösenord?",
    "check_frequency": "12. Hur ofta kontrollerar ni sidan för att se kommentarer med mera?",
    "reply_practice": "13. Hur svarar ni på kommentarer?",
}


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", allow_inf_nan=False)


class CommunicationPlan(_Strict):
    """`plan = {...}` of an account: the communication plan's answers, one string each."""

    channel_choice: str | None = None
    comparison: str | None = None
    update_frequency: str | None = None
    rules_known: str | None = None
    password_holders: str | None = None
    check_frequency: str | None = None
    reply_practice: str | None = None

    @field_validator("*")
    @classmethod
    def _answer_not_empty(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise _invalid("must not be empty", "write the answer, or leave the key out")
        return value


class MonitorsConfig(ResponseDefaults, _Strict):
    """`[monitors]`: defaults of the checks on every account (an account may set its own)."""

    sender_text: str | None = None
    sender_link: str | None = None
    inactive_months: int = Field(DEFAULT_INACTIVE_MONTHS, ge=1, le=120)

    @field_validator("sender_text")
    @classmethod
    def _text_not_empty(cls, value: str | None) -> str | None:
        return sender_text_checked(value)

    @field_validator("sender_link")
    @classmethod
    def _link_url(cls, value: str | None) -> str | None:
        return sender_link_checked(value)


def sender_text_checked(value: str | None) -> str | None:
    """Return a sender text that says something, or raise the config's validation error."""
    if value is not None and not value.strip():
        raise _invalid("must not be empty", 'e.g. sender_text = "En verksamhet inom Mora kommun"')
    return value


def sender_link_checked(value: str | None) -> str | None:
    """Return a sender link that is an http(s) URL, or raise the config's validation error."""
    from somed.config import _check_url  # the config's own URL rule (imports this module)

    return None if value is None else _check_url(value, base=False)
