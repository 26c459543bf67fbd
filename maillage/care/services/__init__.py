"""Writes of coordination, one module per topic. Callers use ``services.<function>``."""

from .conversations import conversation_mark_read, conversation_open_health, message_post
from .liaison import (
    alert_acknowledge,
    alert_raise,
    alert_resolve,
    author_role,
    check_care_team_writer,
    may_write_about,
    note_add,
    notes_mark_read,
)
from .plans import (
    SERVICE_FIELDS,
    VERSION_TEXT_FIELDS,
    basket_add,
    basket_end,
    careplan_add_action,
    careplan_add_goal,
    careplan_add_problem,
    careplan_diff,
    careplan_new_version,
    careplan_remove_item,
    careplan_review_reminders,
    careplan_update,
    careplan_validate,
    domains_install_defaults,
    goal_status_change,
    service_save,
)
from .telehealth import telehealth_record, telehealth_record_for_attendee
from .unread import (
    unread_counters_for_file,
    unread_counters_for_user,
    unread_counters_rebuild,
    unread_counters_refresh,
)

__all__ = [
    "SERVICE_FIELDS", "VERSION_TEXT_FIELDS", "alert_acknowledge", "alert_raise", "alert_resolve",
    "author_role", "basket_add", "basket_end", "careplan_add_action", "careplan_add_goal",
    "careplan_add_problem", "careplan_diff", "careplan_new_version", "careplan_remove_item",
    "careplan_update", "careplan_validate", "check_care_team_writer", "conversation_mark_read",
    "conversation_open_health", "domains_install_defaults", "may_write_about", "message_post",
    "note_add", "notes_mark_read", "service_save", "telehealth_record",
    "telehealth_record_for_attendee",
    "careplan_review_reminders", "goal_status_change", "unread_counters_for_file",
    "unread_counters_for_user", "unread_counters_rebuild", "unread_counters_refresh",
]
