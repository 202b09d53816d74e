"""TRANSITIONAL (issue 11): a built-in adapter not yet on the :class:`Provider` contract, seen
through it. Each built-in becomes a ``Provider`` subclass in its own package; once all four are,
this module and its one import in ``registry.py`` go. Nothing else may import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from .provider import Provider, TestProfile

if TYPE_CHECKING:
    from .apis import Call, Observation, Reply
    from .callbacks import CallbackPolicy, Outgoing
    from .context import Context
    from .engine import Batch
    from .errors import ApiError, Problem
    from .journal import Entry
    from .scenarios import Scenario
    from .specs import Spec

# What each built-in's package declares as its profile and media types once converted.
_PROFILES = {
    "ivvy": TestProfile(
        headers={},
        batch_id="e35e06ee592d17a42dc9e6252a058617",
        poll=(
            "POST",
            "/api/1.0/batch?action=progress",
            {"async": "e35e06ee592d17a42dc9e6252a058617"},
        ),
        error_keys=frozenset({"errorCode", "message", "specificCode"}),
    ),
    "trigger": TestProfile(
        headers={"authorization": "Bearer tr_dev_test"},
        batch_id="batch_1234",
        poll=("GET", "/api/v2/batches/batch_1234", None),
        error_keys=frozenset({"error"}),
    ),
    "runtype": TestProfile(
        headers={"authorization": "Bearer rt_test"},
        batch_id="batchId",
        poll=("GET", "/v1/batch/status/batchId", None),
        error_keys=frozenset({"error"}),
    ),
    "check": TestProfile(
        headers={"authorization": "Bearer vfy_test"},
        batch_id="batch_abc123def456",
        poll=("GET", "/v1/batch/batch_abc123def456", None),
        error_keys=frozenset({"error"}),
    ),
}
_MEDIA_TYPES = {"trigger": ("application/x-ndjson", "application/ndjson")}


class Legacy(Provider):
    """A Provider that forwards to an old-style adapter ``(mock, spec)``."""

    adapter_class: ClassVar[Any]

    def __init__(self, ctx: Context, spec: Spec) -> None:
        super().__init__(ctx, spec)
        self.adapter = self.adapter_class(ctx._mock, spec)

    def __getattr__(self, name: str) -> Any:
        if name == "adapter":
            raise AttributeError(name)
        return getattr(self.adapter, name)  # the adapter's own members (tests reach them)

    def handle(self, call: Call) -> Reply:
        reply: Reply = self.adapter.handle(call)
        return reply

    def error(self, error: ApiError) -> Reply:
        reply: Reply = self.adapter.error(error)
        return reply

    def api_key(self, headers: Mapping[str, str]) -> str:
        iws = headers.get("x-api-authorization", "")
        if iws.startswith("IWS ") and ":" in iws:
            return iws[4:].split(":", 1)[0]
        return super().api_key(headers)

    @classmethod
    def observe(cls, entry: Entry) -> Observation | None:
        found: Observation | None = cls.adapter_class.observe(entry)
        return found

    def callback_target(self, batch: Batch) -> str | None:
        target = getattr(self.adapter, "callback_target", None)
        return target(batch) if target is not None else None

    def callback_message(self, batch: Batch, event: str) -> Outgoing:
        message: Outgoing = self.adapter.callback_message(batch, event)
        return message

    def callback_policy(self) -> CallbackPolicy:
        policy = getattr(self.adapter, "callback_policy", None)
        return policy() if policy is not None else super().callback_policy()

    @classmethod
    def check_scenario(cls, scenario: Scenario) -> list[Problem]:
        problems: list[Problem] = cls.adapter_class.check_scenario(scenario)
        return problems


def as_provider(adapter: type) -> type[Provider]:
    """``adapter`` (an old-style class) as a :class:`Provider` subclass."""
    name: str = getattr(adapter, "name")  # noqa: B009
    attributes = {
        "adapter_class": adapter,
        "name": name,
        "spec_file": getattr(adapter, "spec_file"),  # noqa: B009
        "scenario_file": f"{name}.yaml",
        "verify_exemptions": getattr(adapter, "verify_exemptions", {}),
        "secret_headers": getattr(adapter, "secret_headers", ()),
        "default_rate_limit": getattr(adapter, "default_rate_limit", None),
        "media_types": _MEDIA_TYPES.get(name, ()),
        "profile": _PROFILES.get(name, TestProfile()),
        "__module__": adapter.__module__,
    }
    return type(adapter.__name__, (Legacy,), attributes)
