"""THE flow table: which customization the connector runs at which stage, in which order, under
which condition, and which Bitrix24 request its reply feeds.  The simulator walks it; `simulate
--compare` checks it against a real connector's capture log.  Nothing else in the project states
the order.

Sources (docs/connector/call-flow.md): `doc` where the connector's or Bitrix24's documentation
says it, `inf` where the order is reconstructed and a real server's log must confirm it.  Where
call-flow.md is silent, the row says what an integrator would expect (`silent`), and the README's
"See a call before it happens" repeats it:
- click-to-call: call-flow.md gives "Bitrix24's event -> up/cp -> process_originate_params" [inf]:
  process_user_phone (the employee), then process_client_phone (the clicked number, whose answer
  is the originate's `extension`), then process_originate_params; their inputs carry only `phone`
  (no call exists yet, so no call_full and no call_stage);
- the card: the connector asks for it when an extension rings and when it answers (connector
  setting `card`, default both; the spec's call_card decides which of them go out);
- the record: the connector attaches it either as a link or as a file, by its own setting. The
  connector's page on customize_attach_record_url (docs-notes.md 3.14) says it "runs only if it is
  configured to attach a link to a record instead of a call record file" [doc]: link mode runs
  customize_attach_record_url (crm.activity.update, cancellable), file mode sends attachRecord.
  call-flow.md's "process_record_file_path -> customize_attach_record_url -> attachRecord" is that
  order with one of the two; the spec's `record_link` only says what link the file writes (the
  simulator picks link mode for a spec that has it; a scenario's connector.record_as overrides);
- missed-call tasks: for a missed incoming call (the IVR included) and for an unanswered outgoing
  one: the connector's page on process_task_creation_params says "on missed incoming call or
  unanswered outgoing call" (docs-notes.md 3.9) [doc];
- after a missed call: finish, then the task, then entity and activity (as for answered calls);
- need_registration answering false at conversation_requested: nothing else for that ring; at a
  later stage: that stage's card/hide requests are not sent; at call_ended: no finish and nothing
  after it (the activity only exists once the call is finished).
"""

from __future__ import annotations

from dataclasses import dataclass

# The stages as the `call_stage` input names them, and two moments before any conversation.
AUTODISTRIBUTION = "autodistribution"  # the dialplan asks for the responsible (before ringing)
ORIGINATE = "originate"  # Bitrix24's OnExternalCallStart (click-to-call)
REQUESTED = "conversation_requested"
ACCEPTED = "conversation_accepted"
ENDED = "conversation_ended"
CALL_ENDED = "call_ended"
STAGES = (AUTODISTRIBUTION, ORIGINATE, REQUESTED, ACCEPTED, ENDED, CALL_ENDED)


@dataclass(frozen=True)
class Step:
    stage: str
    customization: str | None  # None: a request the connector sends without asking a customization
    when: str  # the condition, by name (the runner evaluates it; see WHEN)
    request: str | None  # the Bitrix24 (or PBX) request the reply feeds
    basis: str  # doc | inf | silent
    note: str = ""


WHEN = {
    "autodistribution": "the scenario has autodistribution (incoming, before ringing)",
    "always": "every time the stage happens",
    "unregistered": "the call is not registered yet (first ring; not click-to-call)",
    "registered_now": "the register was just sent (or click-to-call's first ring)",
    "card_ringing": "the call is registered and the connector shows the card on ringing",
    "card_answer": "the call is registered and the connector shows the card on answer",
    "hide_others": "the call is registered; other users still see the card",
    "hide_own": "the call is registered and this user was shown the card",
    "ivr": "the call was missed in the IVR (no extension rang)",
    "ivr_registered": "the call was missed in the IVR and the register was just sent",
    "registered": "the call is registered",
    "record": "answered and finished, with a recording",
    "record_file": "answered and finished, with a recording attached as a file",
    "record_link": "answered and finished, with a recording attached as a link",
    "missed_task": "missed incoming (or in the IVR) or unanswered outgoing [doc], finished, tasks switched on",
    "finished": "the finish was sent and the call has an entity (found, or a lead the register created)",
    "finished_any": "the finish was sent",
}

FLOW: tuple[Step, ...] = (
    Step(AUTODISTRIBUTION, "process_client_phone", "autodistribution", None, "inf", "the caller's number first"),
    Step(AUTODISTRIBUTION, "customize_autodistribution", "autodistribution", "dialplan: ring", "doc"),
    Step(ORIGINATE, "process_user_phone", "always", None, "inf", "the employee who clicked"),
    Step(ORIGINATE, "process_client_phone", "always", None, "inf", "the clicked number, into the originate"),
    Step(ORIGINATE, "process_originate_params", "always", "originate", "doc", "Bitrix24 registered the call"),
    Step(REQUESTED, "need_registration", "always", None, "doc"),
    Step(REQUESTED, "process_client_phone", "unregistered", None, "inf"),
    Step(REQUESTED, "process_user_phone", "always", None, "inf"),
    Step(REQUESTED, "process_registration_params", "unregistered", "telephony.externalcall.register", "inf"),
    Step(REQUESTED, "post_registration", "registered_now", None, "doc"),
    Step(REQUESTED, "customize_show_call_card", "card_ringing", "telephony.externalcall.show", "inf"),
    Step(ACCEPTED, "need_registration", "always", None, "doc"),
    Step(ACCEPTED, "customize_show_call_card", "card_answer", "telephony.externalcall.show", "inf"),
    Step(ACCEPTED, None, "hide_others", "telephony.externalcall.hide", "inf", "the others stop ringing"),
    Step(ENDED, "need_registration", "always", None, "doc"),
    Step(ENDED, None, "hide_own", "telephony.externalcall.hide", "inf"),
    Step(CALL_ENDED, "need_registration", "always", None, "doc", "false: no finish"),
    Step(CALL_ENDED, "process_client_phone", "ivr", None, "inf"),
    Step(CALL_ENDED, "process_registration_params", "ivr", "telephony.externalcall.register", "inf"),
    Step(CALL_ENDED, "post_registration", "ivr_registered", None, "doc"),
    Step(CALL_ENDED, "process_final_params", "registered", "telephony.externalcall.finish", "doc"),
    Step(CALL_ENDED, "process_record_file_path", "record", None, "inf", "its own 10 s timeout"),
    Step(CALL_ENDED, "customize_attach_record_url", "record_link", "crm.activity.update", "doc", "link mode only"),
    Step(CALL_ENDED, None, "record_file", "telephony.externalCall.attachRecord", "doc", "file mode"),
    Step(CALL_ENDED, "process_task_creation_params", "missed_task", "tasks.task.add", "inf"),
    Step(CALL_ENDED, "customize_entity", "finished", "crm.{entity}.update", "inf"),
    Step(CALL_ENDED, "customize_activity", "finished_any", "crm.activity.update", "inf"),
)


def steps(stage: str) -> tuple[Step, ...]:
    return tuple(s for s in FLOW if s.stage == stage)


def order(stage: str) -> list[str]:
    """The customizations of a stage in the table's order (each once)."""
    seen: list[str] = []
    for step in steps(stage):
        if step.customization and step.customization not in seen:
            seen.append(step.customization)
    return seen


def stages_of(customization: str) -> list[str]:
    return [s for s in STAGES if customization in order(s)]
