"""The stages of a hearing's procedure, in the order a civil trial usually goes through them.

The judge moves the courtroom from stage to stage (``set_stage``); every transcript entry
records the stage it was spoken in. The labels are in ``hearing_server.domain.labels``.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    IDENTITY_CHECK = "identity_check"
    COURT_DISCIPLINE = "court_discipline"
    INVESTIGATION = "investigation"
    EVIDENCE = "evidence"
    DEBATE = "debate"
    FINAL_STATEMENTS = "final_statements"
    MEDIATION = "mediation"
    CLOSING = "closing"


class PauseReason(StrEnum):
    """The only reasons the recording of a hearing in session may stop."""

    RECESS = "recess"
    NON_PUBLIC_EVIDENCE = "non_public_evidence"
    MEDIATION_CAUCUS = "mediation_caucus"
