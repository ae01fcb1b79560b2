"""What every staff request body is made of: the base model and the fields staff type.

Cheap to import (one model, built on first use): the rooms that define their own bodies import
these, so the request bodies in models.py load only when a handler first reads one (off the cold start).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from chalicelib.domain.referral import no_control_characters, one_line

Rationale = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), AfterValidator(no_control_characters)
]
# What staff type on one line (who gave consent, how, the service): refused with line breaks, as
# the referral's own single-line fields are, because they are shown and emailed as one line.
StaffLine = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(one_line)]
StaffText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=5000), AfterValidator(no_control_characters)
]


class StaffRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
