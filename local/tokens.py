"""`make token ROLE=practitioner` (or manager, auditor, edt): print a staff token for the local stage.

Use it as `curl -H "Authorization: Bearer $(make -s token ROLE=manager)" http://127.0.0.1:8000/admin/whoami`.
"""

from __future__ import annotations

import sys

from local.issuer import PROJECT_ROOT, SYNTHETIC_STAFF, LocalIssuer


def main(argv: list[str]) -> int:
    role = argv[0] if argv else "practitioner"
    if role not in SYNTHETIC_STAFF:
        print(f"ROLE must be one of: {', '.join(SYNTHETIC_STAFF)} (got {role!r})", file=sys.stderr)
        return 2
    issuer = LocalIssuer(PROJECT_ROOT / ".local")
    staff = SYNTHETIC_STAFF[role]
    print(f"# {staff.name} ({staff.role.value}), valid for 8 hours", file=sys.stderr)
    print(issuer.token_for(role))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
