"""Near-duplicate clusters on the API: a room's queue of clusters (each
campaign once, with size, reach, languages and its first post) and a
cluster's members. Reads only; clusters are made at ingest."""

from __future__ import annotations

from flask import Blueprint, jsonify

from .. import rooms
from ..listening import clusters, mentions
from .context import get_db, json_error, require_role
from .ingest import MAX_LISTING, _int_arg, page_args

bp = Blueprint("clusters", __name__)


def _cluster_dict(db, c: clusters.Cluster) -> dict:
    first = mentions.get(db, c.first_mention_id)
    return {**c.to_dict(), "first": first.to_dict() if first else None}


@bp.route("/api/v1/rooms/<int:room_id>/clusters")
@require_role("viewer")
def room_clusters(room_id: int):
    db = get_db()
    if rooms.get_room(db, room_id) is None:
        return json_error(404, f"no room {room_id}", field="room")
    min_size, err = _int_arg("min_size", 2, 1, 2**31)
    (_after, limit), err = ((None, None), err) if err else page_args()
    if err:
        return err
    return jsonify({"room": room_id,
                    "clusters": [_cluster_dict(db, c) for c in clusters.queue(db, room_id, limit, min_size)]})


@bp.route("/api/v1/rooms/<int:room_id>/clusters/<int:cluster_id>")
@require_role("viewer")
def cluster_members(room_id: int, cluster_id: int):
    db = get_db()
    cluster = clusters.get(db, cluster_id)
    if cluster is None or cluster.room_id != room_id:
        return json_error(404, f"no cluster {cluster_id} in room {room_id}", field="cluster")
    (after, limit), err = page_args()
    if err:
        return err
    ids = clusters.members(db, cluster_id, after, limit)
    return jsonify({**_cluster_dict(db, cluster),
                    "members": [m.to_dict() for m in (mentions.get(db, i) for i in ids) if m],
                    "last_id": ids[-1] if ids else after, "more": len(ids) == limit})


_ROOM = {"name": "room_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_PAGE = [{"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
         {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LISTING}}]
OPENAPI_PATHS = {
    "/api/v1/rooms/{room_id}/clusters": {"get": {
        "summary": "The room's near-duplicate clusters, largest first: size, reach (sum of followers),"
                   " languages, first post",
        "parameters": [_ROOM, {"name": "min_size", "in": "query", "description": "default 2 (copies only)",
                               "schema": {"type": "integer", "minimum": 1}}, _PAGE[1]],
        "responses": {"200": {"description": "clusters"}, "400": {"description": "bad query parameter"},
                      "404": {"description": "no such room"}},
    }},
    "/api/v1/rooms/{room_id}/clusters/{cluster_id}": {"get": {
        "summary": "One cluster and its member mentions, oldest id first",
        "parameters": [_ROOM, {"name": "cluster_id", "in": "path", "required": True,
                               "schema": {"type": "integer"}}, *_PAGE],
        "responses": {"200": {"description": "the cluster and a page of members"},
                      "400": {"description": "bad query parameter"},
                      "404": {"description": "no such room or cluster"}},
    }},
    "/api/v1/drafts/{draft_id}/publish_cluster": {"post": {
        "summary": "Publish an approved draft to every unanswered member of its mention's cluster: through each"
                   " member's connector where one exists, else listed in by_hand for posting by hand",
        "parameters": [{"name": "draft_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "response, cluster_id, copies, deliveries, by_hand"},
                      "422": {"description": "not approved, no copies, too long for a member's platform"
                                             " (field named)"}},
    }},
}
