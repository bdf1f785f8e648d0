"""Data sets for the Facebook emulator: page contents, tokens, and seeded Swedish generators."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

ALL_PERMISSIONS: frozenset[str] = frozenset(
    {"pages_read_engagement", "pages_read_user_content", "pages_show_list", "pages_messaging"}
)


@dataclass(frozen=True)
class TokenInfo:
    """What an access token may do: which pages it speaks for and its permissions."""

    page_ids: tuple[str, ...]
    permissions: frozenset[str] = ALL_PERMISSIONS
    expired: bool = False
    # what `/debug_token` reports: None for `expires_at` is 0 on the wire (never expires, as
    # for a page token from a long-lived user token); None for data access is 90 days ahead
    expires_at: datetime | None = None
    data_access_expires_at: datetime | None = None


@dataclass
class CommentData:
    """A comment on a post, or a reply to a comment (then listed in its parent's `replies`)."""

    id: str
    message: str
    created_time: datetime
    author: tuple[str, str]
    images: int = 0
    like_count: int = 0
    is_hidden: bool = False
    replies: list[CommentData] = field(default_factory=list)
    attachment: str | None = None  # "sticker", "gif" or "share" (photos: `images`)


@dataclass
class PostData:
    """A post on the page's own timeline; `comments` holds the top-level comments."""

    id: str
    message: str
    created_time: datetime
    updated_time: datetime | None = None
    images: int = 0
    shares: int = 0
    is_hidden: bool = False
    comments: list[CommentData] = field(default_factory=list)
    attachment: str | None = None  # "video", "share" or "event" (photos: `images`)
    tags: tuple[tuple[str, str], ...] = ()  # (id, name) named in the text: `message_tags`
    author: tuple[str, str] | None = None  # a visitor's post (None: the page's own)
    wall: str | None = None  # a post on someone else's wall that only tags the page


@dataclass
class MessageData:
    """One Messenger message; `from_page` tells whether the page or the user wrote it."""

    id: str
    message: str
    created_time: datetime
    from_page: bool = False
    attachment: str | None = None  # "image", "video", "audio" or "file"
    sticker: bool = False
    share: str | None = None  # a shared link


@dataclass
class ConversationData:
    """A Messenger conversation between the page and one user; messages oldest first."""

    id: str
    user: tuple[str, str]
    messages: list[MessageData] = field(default_factory=list)


@dataclass
class PageData:
    """A Facebook page with its profile fields, posts and Messenger conversations."""

    id: str
    name: str
    username: str
    about: str = ""
    description: str = ""
    website: str = ""
    category: str = "Government organization"
    fan_count: int = 0
    followers_count: int = 0
    emails: tuple[str, ...] = ()
    phone: str = ""
    single_line_address: str = ""
    posts: list[PostData] = field(default_factory=list)
    conversations: list[ConversationData] = field(default_factory=list)
    # in `/feed` only: visitors' posts on the page, and posts elsewhere that tag the page
    others: list[PostData] = field(default_factory=list)


# --- Swedish texts --------------------------------------------------------------------------

# who stands behind the demo accounts (R15): every demo profile but one (X's) says it
SENDER_TEXT = "En verksamhet inom Mora kommun"
SENDER_LINK = "https://www.mora.se"

PEOPLE: tuple[str, ...] = (
    "Karin Larsson", "Lars Nilsson", "Maria Eriksson", "Johan Persson", "Eva Olsson",
    "Anders Svensson", "Sara Gustafsson", "Mikael Johansson", "Emma Lindberg", "Per Andersson",
    "Lena Jonsson", "Oskar Berg", "Ingrid Holm", "Nils Ek", "Linnea Dahl", "Erik Mattsson",
    "Britt Hedlund", "Gunnar Skoglund", "Elsa Wiklund", "Ali Hassan", "Fatima Ahmed",
    "Jonas Öberg", "Åsa Lundqvist", "Mats Sjöberg",
)  # fmt: skip

MUNICIPAL_POSTS: tuple[str, ...] = (
    "Badhuset stänger för underhåll i två veckor från måndag. Vi ber om ursäkt för besväret!",
    "Nu kan du söka sommarjobb! Ungdomar födda 2007–2008 kan söka fram till den 15 april.",
    "Snöröjningen pågår för fullt i hela kommunen. Parkera gärna inte på gatan i natt.",
    "Välkommen på samråd om den nya översiktsplanen i Mora kyrkby på tisdag kl. 18.00.",
    "Vasaloppet närmar sig! Här hittar du information om avstängda vägar och extra bussturer.",
    "Kommunfullmäktige sammanträder på måndag kl. 18.00. Mötet sänds direkt på mora.se.",
    "Biblioteket har nya öppettider från och med den 1 september.",
    "Vattenläcka på Strandgatan. Vi räknar med att vattnet är tillbaka under eftermiddagen.",
    "Tyck till om lekplatsen i Noret! Enkäten är öppen till sista maj.",
    "Grattis till alla som tog studenten i dag! 🎓",
    "Nu kan föreningar söka bidrag för hösten. Sista dag är den 30 september.",
    "Återvinningscentralen har utökade öppettider under våren.",
    "Påminnelse: eldningsförbud gäller i hela länet tills vidare.",
    "Vi söker fler familjehem. Välkommen på informationsträff i kommunhuset på torsdag.",
    "Kulturskolans vårkonsert äger rum i Morasalen. Fri entré!",
    "Ansök om skolskjuts för höstterminen senast den 30 juni.",
    "Trafiken leds om vid Kyrkogatan på grund av ledningsarbete under tre veckor.",
    "Kommunens växel har begränsade öppettider under midsommar.",
    "Nu är skidspåren vid Hemus preparerade. Välkommen ut!",
    "Krisberedskapsveckan: så förbereder du ditt hushåll för ett längre strömavbrott.",
    "Ny förskola invigs i Östnor. Välkommen på öppet hus på lördag!",
    "Sopsorteringen ändras: från nästa månad hämtas matavfall varje vecka.",
)

YOUTH_CENTRE_POSTS: tuple[str, ...] = (
    "Fredagsdisco i kväll kl. 19–23! Fri entré för alla mellan 13 och 17 år.",
    "Nu har vi fått ett nytt biljardbord. Kom och testa!",
    "Sommarlovsaktiviteter: anmäl dig till kanotturen senast på fredag.",
    "Fritidsgården håller stängt under julhelgen. God jul önskar vi er alla!",
    "Turnering i FIFA på lördag. Anmälan i caféet.",
    "Läxhjälp varje tisdag och torsdag kl. 15–17.",
    "Tack för en fantastisk höstlovsvecka!",
    "Vi söker unga som vill vara med i fritidsgårdsrådet.",
)

QUESTIONS: tuple[str, ...] = (
    "När öppnar badhuset igen?",
    "Gäller detta även Färnäs?",
    "Vem kan jag kontakta om det här?",
    "Hur söker man?",
    "Finns det parkering i närheten?",
    "Kommer mötet att gå att se i efterhand?",
    "Varför fick vi inte veta detta tidigare?",
)

REMARKS: tuple[str, ...] = (
    "Tack för informationen!",
    "Bra initiativ 👍",
    "Äntligen!",
    "Snöröjningen på vår gata har inte kommit ännu.",
    "Det här borde ha åtgärdats för länge sedan.",
    "Vad roligt att det händer saker i Mora.",
    "Super, då vet vi.",
)

PAGE_ANSWERS: tuple[str, ...] = (
    "Hej! Tack för din fråga. Du når oss enklast via kontaktcenter på 0250-260 00."
    " /Anna, Kommunledningskontoret",
    "Hej! Ja, det gäller hela kommunen. /Erik, Kommunledningskontoret",
    "Tack för att du hör av dig. Vi har skickat vidare ärendet till gatuenheten."
    " /Anna, Kommunledningskontoret",
    "Hej! Mer information finns på mora.se. /Erik, Kommunledningskontoret",
)

PUBLIC_REPLIES: tuple[str, ...] = (
    "Håller med!",
    "Samma här.",
    "Tack för svaret!",
    "Det stämmer, jag ringde dem i går.",
)

MESSENGER_THREADS: tuple[tuple[str, ...], ...] = (
    (
        "Hej! Hur ansöker jag om bygglov för en altan?",
        "Hej! Du ansöker via e-tjänsten på mora.se. Hör av dig om du behöver hjälp."
        " /Anna, Kommunledningskontoret",
        "Tack så mycket!",
    ),
    (
        "Hej, vår soptunna har inte tömts på två veckor.",
        "Hej! Tråkigt att höra. Vilken adress gäller det? /Erik, Kommunledningskontoret",
        "Vasagatan 12.",
        "Tack! Vi har meddelat renhållningen, de kommer i morgon. /Erik, Kommunledningskontoret",
    ),
    (
        "När är nästa kommunfullmäktige?",
        "Hej! Nästa sammanträde är måndag den 14:e kl. 18.00 i kommunhuset."
        " /Anna, Kommunledningskontoret",
    ),
)


def person(index: int) -> tuple[str, str]:
    """Return the (id, name) of member of the public number `index` (stable across runs)."""
    name = PEOPLE[index % len(PEOPLE)]
    return (str(61550000000000 + 7919 * index), name)


# --- generators ---------------------------------------------------------------------------


class _Builder:
    """Builds one page's posts, comments and conversations with stable, unique ids."""

    def __init__(self, page: PageData, rng: random.Random, cap: datetime) -> None:
        self.page = page
        self.rng = rng
        self.cap = cap
        self.post_serial = 0
        self.comment_serial: dict[str, int] = {}
        self.latest: dict[str, datetime] = {}

    def post(self, message: str, created: datetime, images: int = 0) -> PostData:
        """Add a post; posts must be added oldest first so the serials grow with time."""
        self.post_serial += 1
        post = PostData(
            id=f"{self.page.id}_{self.page.id}{self.post_serial:06d}",
            message=message,
            created_time=created.replace(microsecond=0),
            images=images,
            shares=self.rng.randrange(0, 4),
        )
        self.page.posts.append(post)
        return post

    def _after(self, moment: datetime) -> datetime:
        """Pick a moment up to four hours after `moment`, never later than the cap."""
        latest = max(moment, min(moment + timedelta(hours=4), self.cap))
        span = int((latest - moment).total_seconds())
        return moment + timedelta(seconds=self.rng.randint(0, span) if span > 0 else 0)

    def comment(
        self,
        post: PostData,
        message: str,
        author: tuple[str, str],
        parent: CommentData | None = None,
        images: int = 0,
    ) -> CommentData:
        """Add a top-level comment to `post`, or a reply to `parent`, after what it answers.

        Each comment on a post comes after the previous one, so ids grow with time as on Facebook.
        """
        post_n = post.id.split("_", 1)[1]
        serial = self.comment_serial.get(post.id, 0) + 1
        self.comment_serial[post.id] = serial
        answered = parent.created_time if parent else post.created_time
        created = self._after(max(answered, self.latest.get(post.id, answered)))
        self.latest[post.id] = created
        comment = CommentData(
            id=f"{post_n}_{serial}",
            message=message,
            created_time=created,
            author=author,
            images=images,
            like_count=self.rng.randrange(0, 12),
        )
        siblings = parent.replies if parent else post.comments
        siblings.append(comment)
        siblings.sort(key=lambda c: (c.created_time, len(c.id), c.id))
        return comment

    def conversation(
        self, user: tuple[str, str], texts: list[tuple[str, bool]], start: datetime
    ) -> ConversationData:
        """Add a conversation with `texts` as (message, from_page), an hour or so apart."""
        number = len(self.page.conversations) + 1
        conversation = ConversationData(id=f"t_{self.page.id}{number:05d}", user=user)
        moment = start.replace(microsecond=0)
        for index, (text, from_page) in enumerate(texts):
            conversation.messages.append(
                MessageData(
                    id=f"m_{self.page.id}x{number:05d}x{index + 1:04d}",
                    message=text,
                    created_time=moment,
                    from_page=from_page,
                )
            )
            moment += timedelta(minutes=self.rng.randint(5, 120))
        self.page.conversations.append(conversation)
        return conversation

    def finish(self) -> PageData:
        """Set each post's updated_time to its newest comment or reply and return the page."""
        for post in self.page.posts:
            newest = post.created_time
            for comment in post.comments:
                newest = max(
                    newest, comment.created_time, *(reply.created_time for reply in comment.replies)
                )
            post.updated_time = newest
        return self.page


def _page_shell(page_id: str, name: str, username: str, rng: random.Random) -> PageData:
    """Return a page with plausible Swedish profile fields and no content."""
    return PageData(
        id=page_id,
        name=name,
        username=username,
        about=f"Välkommen till {name}s officiella sida.",
        description=f"Här informerar {name} om nyheter, evenemang och störningar.",
        website=f"https://www.{username}.se",
        fan_count=rng.randrange(500, 20000),
        followers_count=rng.randrange(500, 22000),
        emails=(f"info@{username}.se",),
        phone="0250-260 00",
        single_line_address="Fredsgatan 16, 792 80 Mora",
    )


def generate_page(
    page_id: str,
    name: str,
    username: str,
    *,
    posts: int,
    comments_per_post: int = 0,
    replies_per_comment: int = 0,
    newest: datetime,
    spacing: timedelta = timedelta(hours=6),
    images_every: int = 5,
    conversations: int = 0,
    messages_per_conversation: int = 0,
    seed: int = 1,
) -> PageData:
    """Generate a page with `posts` posts, the newest at `newest`, then one every `spacing` back.

    Every `images_every`-th post has one to three photos. Comments and replies on a post follow
    each other a few hours apart but never after `newest`; about a third of the replies come from
    the page itself. Conversations alternate between the user and the page.
    """
    if newest.tzinfo is None:
        raise ValueError("newest must be timezone-aware")
    rng = random.Random(seed)
    page = _page_shell(page_id, name, username, rng)
    builder = _Builder(page, rng, cap=newest)
    page_author = (page.id, page.name)
    for index in reversed(range(posts)):
        images = 0
        if images_every and index % images_every == 0:
            images = 1 + (index // images_every) % 3
        post = builder.post(rng.choice(MUNICIPAL_POSTS), newest - spacing * index, images)
        for c in range(comments_per_post):
            text = rng.choice(QUESTIONS if c % 2 == 0 else REMARKS)
            comment = builder.comment(
                post, text, person(rng.randrange(1000)), images=1 if c % 13 == 12 else 0
            )
            for _ in range(replies_per_comment):
                if rng.random() < 0.35:
                    builder.comment(post, rng.choice(PAGE_ANSWERS), page_author, comment)
                else:
                    builder.comment(
                        post, rng.choice(PUBLIC_REPLIES), person(rng.randrange(1000)), comment
                    )
    for index in range(conversations):
        texts = [
            (rng.choice(QUESTIONS if m % 2 == 0 else PAGE_ANSWERS), m % 2 == 1)
            for m in range(messages_per_conversation)
        ]
        start = newest - timedelta(days=3 * (index + 1), hours=rng.randint(0, 12))
        builder.conversation(person(500 + index), texts, start)
    return builder.finish()


def demo_pages(now: datetime) -> tuple[list[PageData], dict[str, TokenInfo]]:
    """Return the two Swedish demo pages and their (fake, harmless) tokens."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC).replace(microsecond=0)
    return [_demo_mora(now), _demo_youth_centre(now)], {
        "demo-token-mora": TokenInfo(page_ids=("100200300",)),
        "demo-token-fritid": TokenInfo(
            page_ids=("100200400",), permissions=ALL_PERMISSIONS - {"pages_messaging"}
        ),
    }


def _demo_mora(now: datetime) -> PageData:
    """Build the active demo municipality: ~60 posts over 90 days, replies, 3 conversations."""
    rng = random.Random(2024)
    page = _page_shell("100200300", "Mora kommun (demo)", "morakommun.demo", rng)
    page.about = f"Mora kommuns officiella sida. {SENDER_TEXT}: {SENDER_LINK}"
    page.website = SENDER_LINK
    page.emails = ("kommun@mora.se",)
    builder = _Builder(page, rng, cap=now)
    page_author = (page.id, page.name)
    count = 60
    for index in reversed(range(count)):
        created = now - timedelta(hours=3 + 36 * index + rng.randint(0, 5))
        text = MUNICIPAL_POSTS[index % len(MUNICIPAL_POSTS)]
        images = 3 if index == 4 else 1 if index % 4 == 0 else 0
        post = builder.post(text, created, images)
        if index == 0:  # the newest post: the bath-house thread everybody asks about
            question = builder.comment(post, "När öppnar badhuset igen?", person(0))
            builder.comment(
                post,
                "Hej! Badhuset öppnar igen om två veckor, måndag kl. 06.30. Välkommen tillbaka!"
                " /Anna, Kommunledningskontoret",
                page_author,
                question,
            )
            builder.comment(post, "Tack för svaret!", person(0), question)
            builder.comment(post, "Skönt, vi saknar simhallen 🏊", person(3), images=1)
            continue
        for _ in range(rng.randint(0, 5)):
            is_question = rng.random() < 0.5
            text = rng.choice(QUESTIONS if is_question else REMARKS)
            comment = builder.comment(
                post,
                text,
                person(rng.randrange(len(PEOPLE))),
                images=1 if rng.random() < 0.05 else 0,
            )
            if is_question and rng.random() < 0.7:
                builder.comment(post, rng.choice(PAGE_ANSWERS), page_author, comment)
            elif rng.random() < 0.2:
                builder.comment(
                    post, rng.choice(PUBLIC_REPLIES), person(rng.randrange(len(PEOPLE))), comment
                )
    for index, thread in enumerate(MESSENGER_THREADS):
        texts = [(text, m % 2 == 1) for m, text in enumerate(thread)]
        builder.conversation(person(10 + index), texts, now - timedelta(days=2 + 9 * index))
    _demo_shapes(page, now)
    return builder.finish()


def _demo_shapes(page: PageData, now: datetime) -> None:
    """Give the demo the shapes real pages have: a video, a link share, a photo in Messenger,
    a visitor's post with an answer, and a post elsewhere that only tags the page."""
    plain = [post for post in page.posts if not post.images]
    plain[-2].attachment, plain[-5].attachment = "video", "share"
    page.conversations[1].messages[0].attachment = "image"
    visitor = person(7)
    created = (now - timedelta(days=4, hours=2)).replace(microsecond=0)
    wall_post = PostData(
        f"{page.id}_{page.id}900001", "Hej! Gatlyktorna på Älvgatan har varit släckta i en vecka.",
        created, author=visitor,
    )  # fmt: skip
    wall_post.comments.append(CommentData(
        "900001_1", "Tack för att du säger till! Vi har skickat det vidare till gatuenheten."
        " /Anna, Kommunledningskontoret", created + timedelta(hours=3), (page.id, page.name),
    ))  # fmt: skip
    tagging = PostData(
        f"{person(9)[0]}_{page.id}900002", f"Fin utflykt i dag, tack {page.name}!",
        created - timedelta(days=3), author=person(9), wall=person(9)[0],
        tags=((page.id, page.name),),
    )  # fmt: skip
    page.others.extend([wall_post, tagging])


def _demo_youth_centre(now: datetime) -> PageData:
    """Build the dormant demo page: 25 posts, the newest about 240 days ago."""
    rng = random.Random(2025)
    page = _page_shell("100200400", "Fritidsgården Mora (demo)", "fritidsgardenmora.demo", rng)
    page.category = "Community center"
    page.about = f"Fritidsgården för unga 13–17 år i Mora. {SENDER_TEXT}: {SENDER_LINK}"
    page.fan_count, page.followers_count = 412, 430
    builder = _Builder(page, rng, cap=now - timedelta(days=238))
    newest = now - timedelta(days=240)
    for index in reversed(range(25)):
        text = YOUTH_CENTRE_POSTS[index % len(YOUTH_CENTRE_POSTS)]
        post = builder.post(
            text,
            newest - timedelta(days=5 * index, hours=rng.randint(0, 8)),
            images=1 if index % 6 == 0 else 0,
        )
        for _ in range(rng.randint(0, 2)):
            builder.comment(post, rng.choice(REMARKS), person(rng.randrange(len(PEOPLE))))
    builder.conversation(
        person(20),
        [("Är ni öppna i kväll?", False), ("Ja, kl. 18–22!", True)],
        newest - timedelta(days=3),
    )
    return builder.finish()
