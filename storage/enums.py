"""Status values stored in the database. Plain enums, shared by storage and core."""

from __future__ import annotations

import enum


class ModuleStatus(enum.StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class TariffStatus(enum.StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    ARCHIVED = "archived"
    DELETED = "deleted"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ServiceStatus(enum.StrEnum):
    ORDERED = "ordered"
    IN_PROGRESS = "in_progress"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class RunResult(enum.StrEnum):
    SUCCESSFUL = "successful"
    UNSUCCESSFUL = "unsuccessful"
    IN_PROGRESS = "in_progress"
    INTERRUPTED = "interrupted"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class JobState(enum.StrEnum):
    """The life of a job (a service operation, a batch of them): core/jobs.py."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def open(self) -> bool:
        """Queued or running: the job still holds its service."""
        return self in (JobState.QUEUED, JobState.RUNNING)
