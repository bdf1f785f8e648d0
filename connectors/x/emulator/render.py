"""The X v2 wire format: field selection, expansions, pages and problem envelopes.

As on X, an object carries only its default fields unless `tweet.fields` / `user.fields` /
`media.fields` ask for more, expansions fill `includes`, an empty page has no `data` at all,
and errors are problem+json (`title`, `detail`, `type`, `status`) or, for objects a request
named that do not exist, an `errors` array beside the data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connectors.x.emulator.data import XAccount

PROBLEMS = "https://api.twitter.com/2/problems/"
TWEET_DEFAULT = ("id", "text", "edit_history_tweet_ids")
USER_DEFAULT = ("id", "name", "username")
MEDIA_DEFAULT = ("media_key", "type")
DM_DEFAULT = ("id", "event_type", "text")


def fields(args: Any, kind: str, default: Iterable[str]) -> set[str]:
    """The fields a request asks for `kind` objects (`tweet` -> `tweet.fields`), defaults
    included."""
    asked = {f for f in str(args.get(f"{kind}.fields", "")).split(",") if f}
    return set(default) | asked


def pick(obj: dict[str, Any], wanted: set[str]) -> dict[str, Any]:
    """`obj` with only the wanted fields it has."""
    return {k: v for k, v in obj.items() if k in wanted and v is not None}


def includes(
    account: XAccount, items: list[dict[str, Any]], args: Any, *, author_key: str = "author_id"
) -> dict[str, Any]:
    """The `includes` of an answer: expanded authors, media and referenced tweets."""
    expansions = {e for e in str(args.get("expansions", "")).split(",") if e}
    user_fields = fields(args, "user", USER_DEFAULT)
    media_fields = fields(args, "media", MEDIA_DEFAULT)
    tweet_fields = fields(args, "tweet", TWEET_DEFAULT)
    users: dict[str, dict[str, Any]] = {}
    media: dict[str, dict[str, Any]] = {}
    referenced: dict[str, dict[str, Any]] = {}

    def add_user(ident: Any) -> None:
        user = account.user_by_id(str(ident)) if ident is not None else None
        if user is not None and user["id"] not in account.hidden_users:
            users[user["id"]] = pick(user, user_fields)

    for item in items:
        if author_key in expansions:
            add_user(item.get(author_key))
        if "participant_ids" in expansions:
            for ident in item.get("participant_ids") or []:
                add_user(ident)
        if "attachments.media_keys" in expansions:
            for key in (item.get("attachments") or {}).get("media_keys", []):
                if key in account.media:
                    media[key] = pick(account.media[key], media_fields)
        if "referenced_tweets.id" in expansions or "referenced_tweets.id.author_id" in expansions:
            for ref in item.get("referenced_tweets") or []:
                if account.visible(ref["id"]):
                    parent = account.tweets[ref["id"]]
                    referenced[parent["id"]] = pick(parent, tweet_fields)
                    if "referenced_tweets.id.author_id" in expansions:
                        add_user(parent["author_id"])
    found: dict[str, Any] = {}
    if users:
        found["users"] = list(users.values())
    if media:
        found["media"] = list(media.values())
    if referenced:
        found["tweets"] = list(referenced.values())
    return found


def page_body(
    account: XAccount,
    page: list[dict[str, Any]],
    args: Any,
    *,
    next_token: str | None,
    default: Iterable[str] = TWEET_DEFAULT,
    kind: str = "tweet",
    author_key: str = "author_id",
    ids_meta: bool = True,
) -> dict[str, Any]:
    """One page of a list endpoint: `data` (absent when empty), `includes`, `meta`."""
    wanted = fields(args, kind, default)
    body: dict[str, Any] = {}
    if page:
        body["data"] = [pick(item, wanted) for item in page]
        extra = includes(account, page, args, author_key=author_key)
        if extra:
            body["includes"] = extra
    meta: dict[str, Any] = {"result_count": len(page)}
    if page and ids_meta:
        meta["newest_id"], meta["oldest_id"] = page[0]["id"], page[-1]["id"]
    if next_token:
        meta["next_token"] = next_token
    body["meta"] = meta
    return body


def problem(
    status: int, title: str, detail: str, kind: str = "about:blank", **more: Any
) -> dict[str, Any]:
    """A problem+json error envelope."""
    return {"title": title, "detail": detail, "type": kind, "status": status, **more}


def invalid(parameter: str, value: Any, message: str) -> dict[str, Any]:
    """The 400 answer to an invalid query parameter."""
    return {
        "errors": [{"parameters": {parameter: [str(value)]}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": PROBLEMS + "invalid-request",
    }


def not_found(resource: str, ident: str, parameter: str = "ids") -> dict[str, Any]:
    """An `errors` entry for an object that does not exist (a deleted tweet, a missing user)."""
    return {
        "value": ident,
        "detail": f"Could not find {resource} with {parameter}: [{ident}].",
        "title": "Not Found Error",
        "resource_type": resource,
        "parameter": parameter,
        "resource_id": ident,
        "type": PROBLEMS + "resource-not-found",
    }


def not_authorized(ident: str) -> dict[str, Any]:
    """An `errors` entry for a tweet whose author is protected."""
    return {
        "value": ident,
        "detail": f"Sorry, you are not authorized to see the Tweet with ids: [{ident}].",
        "title": "Authorization Error",
        "resource_type": "tweet",
        "parameter": "ids",
        "resource_id": ident,
        "type": PROBLEMS + "not-authorized-for-resource",
    }


CLIENT_NOT_ENROLLED = problem(
    403,
    "Client Forbidden",
    "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens "
    "from a Twitter developer App that is attached to a Project. You can create a project via "
    "the developer portal.",
    PROBLEMS + "client-forbidden",
    reason="client-not-enrolled",
    registration_url="https://developer.twitter.com/en/docs/projects/overview",
    required_enrollment="Appropriate Level of API Access",
)
UNSUPPORTED_AUTH = problem(
    403,
    "Unsupported Authentication",
    "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported "
    "authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
    PROBLEMS + "unsupported-authentication",
)
UNAUTHORIZED = problem(401, "Unauthorized", "Unauthorized")
TOO_MANY = problem(429, "Too Many Requests", "Too Many Requests")
UNAVAILABLE = problem(503, "Service Unavailable", "Service Unavailable")
