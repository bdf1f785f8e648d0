"""Who is signed in: name, role, full name, and what that lets them see and do."""

from __future__ import annotations

from dataclasses import dataclass

from somed.config import Config
from somed.web.roles import allows


@dataclass(frozen=True)
class WebUser:
    """The signed-in person (from the session, checked against `users` on every request)."""

    name: str
    role: str
    full_name: str | None = None
    source: str = "local"

    def allows(self, needed: str) -> bool:
        """True when the user's role is `needed` or above."""
        return allows(self.role, needed)

    @property
    def sees_private(self) -> bool:
        """Registrars and admins see private messages; readers and editors do not."""
        return self.allows("registrar")

    def works_account(self, config: Config, key: str) -> bool:
        """May work the flags of account `key`: registrar and up, or its editor or substitute."""
        if self.allows("registrar"):
            return True
        if not self.allows("editor"):
            return False
        names = {self.name.casefold()} | ({self.full_name.casefold()} if self.full_name else set())
        for account in config.accounts:
            if account.key == key:
                people = {p.casefold() for p in (account.editor, account.substitute) if p}
                return bool(names & people)
        return False

    def worked_accounts(self, config: Config) -> list[str]:
        """The keys of the accounts whose flags this user may work."""
        return [a.key for a in config.accounts if self.works_account(config, a.key)]
