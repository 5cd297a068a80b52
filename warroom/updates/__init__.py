"""Stakeholder updates: what employees, executives and the public hear about
the storm, approved like a reply, published to the room's Slack channel,
its e-mail list and, for public ones, the installation's status page.

Owns ``stakeholder_updates``, ``update_mail_lists``, ``update_mails`` and
``status_pages`` (``migrations/``, numbers 0150-0159). Face:
``submit_update``, ``approve_update``, ``reject_update``,
``publish_update``, ``close_room`` (closing with the final update),
``room_updates``, ``get_update``, ``Update``, ``UpdateError``,
``set_mail_list``, ``mail_list``; ``template_values`` and
``fill_template`` (a room's reply template filled for one mention);
the submodules ``status`` (the public page's read model and Atom feed)
and ``mail`` (sending updates by e-mail: claim, send, record).
Events: ``update.submitted``, ``update.approved``, ``update.rejected``,
``update.published`` (``audience``, ``final``), ``update.mail_failed``,
``update.mail_list_set``.
"""

from . import mail, status
from .updates import (
    AUDIENCES,
    Update,
    UpdateError,
    approve_update,
    close_room,
    fill_template,
    get_update,
    mail_list,
    next_update,
    publish_update,
    reject_update,
    room_updates,
    set_mail_list,
    submit_update,
    template_values,
)

__all__ = [
    "AUDIENCES",
    "Update",
    "UpdateError",
    "approve_update",
    "close_room",
    "fill_template",
    "get_update",
    "mail",
    "mail_list",
    "next_update",
    "publish_update",
    "reject_update",
    "room_updates",
    "set_mail_list",
    "status",
    "submit_update",
    "template_values",
]
