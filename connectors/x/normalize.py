"""Pure functions: X API v2 JSON -> records (no network, no clock).

Each tweet is normalised from its "flattened" form (the twarc convention): the v2 tweet object
with its expansions put inline, `author` (the user object from `includes.users`) and
`attachments.media` (the media objects from `includes.media`). `flatten` builds it from a
response body, and that form is what the archive keeps raw, so a quarantined tweet can be
normalised again without the response around it.

Records:
- a tweet without a `replied_to` reference is a `post`; one replying to the root of its
  conversation a `comment`; one replying deeper a `reply` (as on Facebook). `parent_id` is the
  tweet it replies to, `thread_id` its conversation (the root post's id). `direction` is `own`
  when the account wrote it, `incoming` otherwise (mentions, replies).
- an edited tweet gets a new id on X, and `edit_history_tweet_ids` lists the chain oldest
  first. The record's `id` is the chain's first id (the one every reply and link refers to),
  its text the newest version's; `created_at` is when the first version was posted (from the
  snowflake id), `edited_at` when the current version was. The writer keeps each earlier text as
  a version. `marker` is the current version's id: re-reads ask X for that one.
- a direct-message event is a `message` (`parent_id` and `thread_id`: its conversation).
- the account's user object is the `profile`.

`extra` keys: `username` (the author's handle), `conversation_id`, `referenced_tweets`,
`edit_history_tweet_ids` and `current_id` (edited tweets), `lang`, `withheld`, `media` (type,
alt text and size of each attachment), `note_tweet` (a long post's full text was used).
Engagement counts (`public_metrics`) stay in the raw payload only: they change on every read
and are not a new version of the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from connectors.model import Author, MediaRef, Record, item_id, parse_utc

PLATFORM = "x"
TWITTER_EPOCH_MS = 1288834974657  # snowflake ids count milliseconds from here (2010-11-04)
FIRST_SNOWFLAKE = 29_700_000_000_000_000  # ids below this are older sequential ids
TWEET_FIELDS = (
    "id,text,author_id,created_at,conversation_id,in_reply_to_user_id,referenced_tweets,"
    "attachments,entities,public_metrics,edit_history_tweet_ids,edit_controls,lang,"
    "possibly_sensitive,reply_settings,withheld,note_tweet"
)
EXPANSIONS = "author_id,attachments.media_keys,referenced_tweets.id.author_id"
MEDIA_FIELDS = "media_key,type,url,preview_image_url,variants,alt_text,width,height,duration_ms"
USER_FIELDS = (
    "id,name,username,created_at,description,url,verified,verified_type,profile_image_url,"
    "protected,public_metrics,location,withheld,pinned_tweet_id"
)
DM_FIELDS = (
    "id,event_type,text,created_at,sender_id,dm_conversation_id,attachments,referenced_tweets"
)
DM_EXPANSIONS = "sender_id,attachments.media_keys,participant_ids"


def snowflake_time(ident: str | None) -> datetime | None:
    """When a snowflake id was made (X ids encode their creation time), or None."""
    if not ident or not ident.isdigit() or int(ident) < FIRST_SNOWFLAKE:
        return None
    millis = (int(ident) >> 22) + TWITTER_EPOCH_MS
    return datetime.fromtimestamp(millis / 1000, UTC)


def snowflake_at(moment: datetime) -> int:
    """The smallest snowflake id made at `moment` (for age comparisons of ids)."""
    return max(0, int(moment.timestamp() * 1000) - TWITTER_EPOCH_MS) << 22


def newer_id(a: str | None, b: str | None) -> str | None:
    """The larger (newer) of two snowflake ids; either may be missing."""
    if not a or not b:
        return a or b
    return a if (len(a), a) >= (len(b), b) else b


def _by_key(items: Any, key: str) -> dict[str, dict[str, Any]]:
    if not isinstance(items, list):
        return {}
    return {str(i[key]): i for i in items if isinstance(i, dict) and i.get(key) is not None}


def flatten(body: Mapping[str, Any], data_key: str = "data") -> list[dict[str, Any]]:
    """Each tweet (or DM event) of a v2 answer with its author and media put inline."""
    data = body.get(data_key)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return []
    includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
    users = _by_key(includes.get("users"), "id")
    media = _by_key(includes.get("media"), "media_key")
    flat: list[dict[str, Any]] = []
    for item in data:
        if not isinstance(item, dict):
            flat.append({"_malformed": item})
            continue
        tweet = dict(item)
        author_id = tweet.get("author_id") or tweet.get("sender_id")
        if author_id is not None and str(author_id) in users:
            tweet["author"] = users[str(author_id)]
        attachments = tweet.get("attachments")
        if isinstance(attachments, dict) and isinstance(attachments.get("media_keys"), list):
            found = [media[str(k)] for k in attachments["media_keys"] if str(k) in media]
            tweet["attachments"] = {**attachments, "media": found}
        flat.append(tweet)
    return flat


def root_id(raw: Mapping[str, Any]) -> str:
    """The id a tweet is archived under: the first of its edit chain (its own id without one)."""
    ident = item_id(raw.get("id"))
    if ident is None:
        raise ValueError(f"tweet id is {type(raw.get('id')).__name__}, not a string")
    chain = raw.get("edit_history_tweet_ids")
    if isinstance(chain, list) and chain:
        first = item_id(chain[0])
        if first is None:
            raise ValueError("edit_history_tweet_ids holds something that is not an id")
        return first
    return ident


def newest_id(raw: Mapping[str, Any]) -> str | None:
    """The newest version's id of a tweet's edit chain (its own id without a chain)."""
    chain = raw.get("edit_history_tweet_ids")
    if isinstance(chain, list) and chain:
        return item_id(chain[-1])
    return item_id(raw.get("id"))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"text is {type(value).__name__}, not a string")
    return value


def _author(raw: Mapping[str, Any], key: str = "author_id") -> tuple[Author, str | None]:
    """The author as X names them, and their handle; a hidden author keeps only the id."""
    user = raw.get("author") if isinstance(raw.get("author"), dict) else {}
    ident = item_id(raw.get(key)) or item_id(user.get("id"))
    username = user.get("username") if isinstance(user.get("username"), str) else None
    name = user.get("name") if isinstance(user.get("name"), str) else username
    return Author(ident, name), username


def tweet_url(username: str | None, ident: str) -> str:
    """The permalink of a tweet (X redirects an edited tweet's first id to its newest)."""
    return (
        f"https://x.com/{username}/status/{ident}"
        if username
        else (f"https://x.com/i/web/status/{ident}")
    )


def media_refs(raw: Mapping[str, Any]) -> tuple[tuple[MediaRef, ...], list[dict[str, Any]]]:
    """A tweet's (or DM's) attachments: media to download, and what the record says of each.

    Photos are fetched in full size; videos and GIFs as their best MP4 variant (X also offers
    an HLS playlist, which is not a file), with the preview image beside them.
    """
    attachments = raw.get("attachments")
    if attachments is not None and not isinstance(attachments, dict):
        raise TypeError(f"attachments is {type(attachments).__name__}, not an object")
    listed = attachments.get("media") if attachments else None
    refs: list[MediaRef] = []
    facts: list[dict[str, Any]] = []
    for media in listed if isinstance(listed, list) else []:
        if not isinstance(media, dict) or not isinstance(media.get("media_key"), str):
            continue
        key, kind = f"x:{media['media_key']}", str(media.get("type") or "photo")
        fact = {
            k: media[k]
            for k in ("type", "alt_text", "width", "height", "duration_ms")
            if media.get(k) is not None
        }
        fact["media_key"] = media["media_key"]
        facts.append(fact)
        if kind == "photo" and isinstance(media.get("url"), str):
            refs.append(MediaRef(key=key, source_url=media["url"], kind="photo"))
            continue
        mp4 = [
            v
            for v in media.get("variants") or []
            if isinstance(v, dict)
            and v.get("content_type") == "video/mp4"
            and isinstance(v.get("url"), str)
        ]
        if mp4:
            best = max(mp4, key=lambda v: v.get("bit_rate") or 0)
            refs.append(
                MediaRef(
                    key=f"{key}:video", source_url=best["url"], kind="video", mime_type="video/mp4"
                )
            )
        preview = media.get("preview_image_url")
        if isinstance(preview, str):
            refs.append(MediaRef(key=f"{key}:preview", source_url=preview, kind="video_thumbnail"))
    return tuple(refs), facts


def normalize_tweet(raw: dict[str, Any], context: Mapping[str, Any], account: str) -> Record:
    """One flattened tweet as a record (see the module docstring for kinds and ids)."""
    ident = root_id(raw)
    current = item_id(raw.get("id")) or ident
    author, username = _author(raw)
    note = raw.get("note_tweet")
    long_text = _text(note.get("text")) if isinstance(note, dict) else None
    text = long_text if long_text is not None else _text(raw.get("text"))
    stated = parse_utc(raw.get("created_at"))
    created, edited = stated, None
    if current != ident:  # an edited tweet: it was first posted when its first id was made
        created, edited = snowflake_time(ident) or stated, stated
    conversation = item_id(raw.get("conversation_id")) or ident
    parent = None
    references = raw.get("referenced_tweets")
    if references is not None and not isinstance(references, list):
        raise TypeError("referenced_tweets is not a list")
    for ref in references or []:
        if isinstance(ref, dict) and ref.get("type") == "replied_to":
            parent = item_id(ref.get("id"))
    kind = "post" if parent is None else ("comment" if parent == conversation else "reply")
    own = author.id is not None and author.id == str(context.get("user_id"))
    media, facts = media_refs(raw)
    extra: dict[str, Any] = {"conversation_id": conversation}
    if username:
        extra["username"] = username
    if references:
        extra["referenced_tweets"] = references
    if current != ident:
        extra["current_id"] = current
        extra["edit_history_tweet_ids"] = raw.get("edit_history_tweet_ids")
    for key in ("lang", "withheld"):
        if raw.get(key) is not None:
            extra[key] = raw[key]
    if facts:
        extra["media"] = facts
    if long_text is not None:
        extra["note_tweet"] = True
    return Record(
        platform=PLATFORM,
        account=account,
        kind=kind,
        id=ident,
        parent_id=parent,
        thread_id=conversation,
        direction="own" if own else "incoming",
        author=author,
        text=text,
        created_at=created,
        edited_at=edited,
        url=tweet_url(username, ident),
        media=media,
        extra=extra,
        raw=raw,
        marker=current,
    )


def normalize_message(raw: dict[str, Any], context: Mapping[str, Any], account: str) -> Record:
    """One flattened direct-message event (`MessageCreate`) as a record."""
    ident = item_id(raw.get("id"))
    if ident is None:
        raise ValueError("a direct message without an id")
    author, username = _author(raw, "sender_id")
    conversation = item_id(raw.get("dm_conversation_id"))
    media, facts = media_refs(raw)
    extra: dict[str, Any] = {"event_type": raw.get("event_type")}
    if username:
        extra["username"] = username
    if facts:
        extra["media"] = facts
    own = author.id is not None and author.id == str(context.get("user_id"))
    return Record(
        platform=PLATFORM,
        account=account,
        kind="message",
        id=ident,
        parent_id=conversation,
        thread_id=conversation,
        direction="own" if own else "incoming",
        author=author,
        text=_text(raw.get("text")),
        created_at=parse_utc(raw.get("created_at")) or snowflake_time(ident),
        media=media,
        extra=extra,
        raw=raw,
    )


def normalize_profile(raw: dict[str, Any], context: Mapping[str, Any], account: str) -> Record:
    """The account's user object as its profile record (counts stay in the raw payload)."""
    ident = item_id(raw.get("id"))
    if ident is None:
        raise ValueError("a user without an id")
    username = raw.get("username") if isinstance(raw.get("username"), str) else None
    extra = {
        key: raw[key]
        for key in (
            "username",
            "name",
            "url",
            "location",
            "verified",
            "verified_type",
            "protected",
            "withheld",
        )
        if raw.get(key) is not None
    }
    picture = raw.get("profile_image_url")
    media: tuple[MediaRef, ...] = ()
    if isinstance(picture, str) and picture:
        # X serves a 48 px `_normal` picture; the same path without it is the original
        original = picture.replace("_normal.", ".")
        key = "x:path:" + urlsplit(original).path  # a new picture has a new path
        media = (MediaRef(key=key, source_url=original, kind="profile_picture"),)
    return Record(
        platform=PLATFORM,
        account=account,
        kind="profile",
        id=ident,
        parent_id=None,
        thread_id=None,
        direction="own",
        author=Author(ident, raw.get("name") if isinstance(raw.get("name"), str) else None),
        text=_text(raw.get("description")) or None,
        created_at=parse_utc(raw.get("created_at")),
        url=f"https://x.com/{username}" if username else None,
        media=media,
        extra=extra,
        raw=raw,
    )


NORMALISERS = {  # by the kind of raw item (a tweet becomes a post, comment or reply)
    "tweet": normalize_tweet,
    "profile": normalize_profile,
    "message": normalize_message,
}
