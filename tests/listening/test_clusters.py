"""Near-duplicate clusters at ingest: the normaliser, a storm of campaign
copies replayed through ``mentions.ingest`` (pairwise precision and recall
stated and asserted), and clustering that survives a restart."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import timedelta

import pytest

from tests.conftest import FIXED_NOW as FIXED
from tests.conftest import make_user
from warroom import rooms
from warroom.clock import iso
from warroom.listening import clusters, mentions, minhash
from warroom.listening.sentiment import Scorer

SCORER = Scorer()

CAMPAIGNS = [
    "Stop destroying rainforests for palm oil, your snack bars are killing orangutans and you know it",
    "I have been on hold for three hours and still nobody can tell me where my refund went",
    "Your new privacy policy sells our data to advertisers without asking, delete my account now",
    "Boycott until they pay the farmers a fair price for every bean they buy this season",
    "The recall notice came two weeks after my kid got sick from the batch you knew was bad",
    "Workers in the warehouse faint from heat while the board votes itself another bonus",
    "Bring back the old recipe, the new one tastes like cardboard and costs twice as much",
    "My train was cancelled again and the app still says on time, who writes this software",
    "Plastic in the ocean has your logo on it, clean up the beaches you polluted for decades",
    "Sign the petition demanding an independent audit of the emissions numbers you published",
    "They fired the union organisers the week before the vote, shame on the whole management",
    "Thousands of customers locked out of their accounts since Monday and not a single update",
]
# The same campaign translated: NOT a near-duplicate of the English text
# (no shared words, so no shared shingles): each language is its own cluster.
TRANSLATIONS = {
    (0, "fr"): "Arrêtez de détruire les forêts tropicales pour l'huile de palme, vos barres tuent les orangs-outans",
    (0, "de"): "Hört auf, den Regenwald für Palmöl zu zerstören, eure Riegel töten die Orang-Utans und ihr wisst es",
    (1, "fr"): "Trois heures d'attente au téléphone et personne ne sait où est passé mon remboursement",
    (1, "de"): "Seit drei Stunden in der Warteschleife und niemand weiß, wo meine Erstattung geblieben ist",
    (2, "es"): "Vuestra nueva política de privacidad vende nuestros datos sin preguntar, borrad mi cuenta ya",
    (4, "nl"): "Het terugroepbericht kwam twee weken nadat mijn kind ziek werd van de partij die jullie kenden",
    (7, "de"): "Mein Zug ist schon wieder ausgefallen und die App zeigt immer noch pünktlich an",
    (11, "fr"): "Des milliers de clients bloqués hors de leur compte depuis lundi et pas une seule nouvelle",
}
VOCAB = (
    "flight bag lost refund order parcel late broken screen charger battery store staff rude manager "
    "delivery driver invoice bill charged twice subscription cancel support chat bot email reply week "
    "month hotel room dirty shower noisy booking app crash login password reset card declined bank fee "
    "coffee cold burger fries missing seat legroom gate delay baggage claim customs train bus ticket "
    "price hike warranty repair shop queue phone line call center agent hung up voucher coupon expired "
    "website slow checkout error stock sold out size wrong colour faded shirt shoes sole cracked laptop "
    "keyboard sticky fridge leaking oven door heater noise insurance claim denied doctor appointment "
    "pharmacy prescription router wifi outage internet speed contract fine print loyalty points vanished"
).split()
SMALL = "and the my is was again still no why never today yesterday please help".split()


def vary(text: str, rnd: random.Random) -> str:
    """A copy as people post it: handles, links, case, punctuation, retweets, quotes, small edits."""
    words = text.split()
    if rnd.random() < 0.08 and len(words) > 8:  # a word dropped or changed
        words.pop(rnd.randrange(len(words)))
    if rnd.random() < 0.08:
        words.append(rnd.choice(["#boycott", "#shame", "again", "!!!", "#justice"]))
    out = []
    for w in words:
        r = rnd.random()
        w = w.upper() if r < 0.1 else w.lower() if r < 0.3 else w
        if rnd.random() < 0.1:
            w = w.rstrip(",.") + rnd.choice(["!", "?", ",", "...", ""])
        out.append(w)
    body = " ".join(out)
    if rnd.random() < 0.5:
        body = f"@brand{rnd.randrange(3)} {body}"
    if rnd.random() < 0.4:
        body += f" https://t.co/{rnd.randrange(10**8):08x}"
    if rnd.random() < 0.3:
        body = f"RT @user{rnd.randrange(10**5)}: {body}"
    elif rnd.random() < 0.05:
        body = f"{rnd.choice(['This 👇', 'So true:', '+1'])} {body}"  # a quote with a comment
    return body


def complaint(rnd: random.Random) -> str:
    return " ".join(rnd.choice(VOCAB) if rnd.random() < 0.75 else rnd.choice(SMALL)
                    for _ in range(rnd.randint(6, 22)))


def storm(seed: int = 14, copies: int = 15_000, distinct: int = 5_000):
    """(records, truth): truth[external_id] is the campaign and language, or a
    unique label for a distinct complaint."""
    rnd = random.Random(seed)
    start = FIXED - timedelta(hours=3)
    records, truth = [], {}
    kinds = [True] * copies + [False] * distinct
    rnd.shuffle(kinds)
    for i, is_copy in enumerate(kinds):
        ext = f"p{i}"
        if is_copy:
            c = rnd.randrange(len(CAMPAIGNS))
            langs = [lang for (k, lang) in TRANSLATIONS if k == c]
            lang = rnd.choice(langs) if langs and rnd.random() < 0.3 else "en"
            text = vary(CAMPAIGNS[c] if lang == "en" else TRANSLATIONS[(c, lang)], rnd)
            truth[ext] = ("campaign", c, lang)
        else:
            text, lang = complaint(rnd), "en"
            truth[ext] = ("own", i, lang)
        records.append({"external_id": ext, "source": rnd.choice(["twitter", "bluesky", "mastodon"]),
                        "author": f"user{rnd.randrange(10**6)}", "text": text, "url": "",
                        "created_at": iso(start + timedelta(seconds=rnd.randrange(3 * 3600))),
                        "lang": lang, "followers": rnd.randrange(5000)})
    return records, truth


def pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(predicted: dict[str, int], truth: dict[str, tuple]) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering against true labels."""
    pred_sizes = Counter(predicted.values())
    true_sizes = Counter(truth.values())
    both = Counter((predicted[k], truth[k]) for k in truth)
    tp = sum(pairs(n) for n in both.values())
    return tp / max(1, sum(pairs(n) for n in pred_sizes.values())), tp / max(1, sum(pairs(n) for n in true_sizes.values()))


@pytest.fixture
def room(db, now):
    lead = make_user(db, "lena", "lead")
    return rooms.open_room(db, now, lead, "Campaign", status="monitoring")


def ingest(db, now, room, records):
    for i in range(0, len(records), 500):
        mentions.ingest(db, now, room.id, mentions.validate(records[i:i + 500], now), SCORER)


def test_normalise_ignores_retweets_handles_links_case_and_punctuation():
    a = minhash.normalise("RT @kitkat_fan: Give Orangutans a BREAK!!! @KitKat https://t.co/abc")
    b = minhash.normalise("give orangutans a break... www.example.com/x @nestle")
    assert a == b == "give orangutans a break"
    assert minhash.normalise("RT @a: RT @b: hi") == "hi"
    assert minhash.normalise("Émile's café, déjà vu") == "émile s café déjà vu"
    assert minhash.normalise("@klm https://klm.com") == ""
    assert set(minhash.shingles("a b c d")) == {b"a b c", b"b c d"}
    assert minhash.shingles("a b") == [b"a b"]


def test_storm_of_campaign_copies_clusters_precisely(db, now, room):
    records, truth = storm()
    copies = {k for k, t in truth.items() if t[0] == "campaign"}
    assert len(copies) == 15_000 and len(records) == 20_000
    # Half, then a restart (the in-memory index is gone), then the rest: the
    # second half must find the clusters through the stored signatures.
    ingest(db, now, room, records[:10_000])
    clusters.forget(db, room.id)
    ingest(db, now, room, records[10_000:])

    rows = db.execute("SELECT m.external_id, cm.cluster_id FROM mentions m"
                      " JOIN cluster_members cm ON cm.mention_id = m.id WHERE m.room_id = ?", [room.id]).fetchall()
    predicted = dict(rows)
    assert len(rows) == len(predicted) == 20_000  # every mention (every copy) in exactly one cluster
    precision, recall = pairwise(predicted, truth)
    print(f"\nclustering on 20,000 mentions (15,000 copies of 12 campaigns in 5 languages): "
          f"pairwise precision {precision:.4f}, recall {recall:.4f}")
    assert precision >= 0.95 and recall >= 0.95

    # Distinct complaints are never merged with anything.
    by_cluster = defaultdict(list)
    for ext, cid in predicted.items():
        by_cluster[cid].append(ext)
    own = [k for k in truth if truth[k][0] == "own"]
    assert all(len(by_cluster[predicted[k]]) == 1 for k in own)

    # The queue shows the copies as a few dozen items, with size, reach and languages.
    queue = clusters.queue(db, room.id, limit=100_000)
    copy_items = [c for c in queue if any(e in copies for e in by_cluster[c.id])]
    true_groups = {truth[k] for k in copies}
    assert len(true_groups) == 20 and len(copy_items) <= 36
    assert sum(c.size for c in copy_items) == 15_000
    biggest = copy_items[0]
    members = set(clusters.members(db, biggest.id, limit=100_000))
    assert len(members) == biggest.size
    among = f"FROM mentions WHERE id IN ({','.join(map(str, members))})"  # portable SQL: no GROUP_CONCAT
    reach, first = db.execute(f"SELECT SUM(followers), MIN(created_at) {among}").fetchone()
    langs = {r[0] for r in db.execute(f"SELECT DISTINCT lang {among}").fetchall()}
    assert (biggest.reach, set(biggest.languages), biggest.first_at) == (reach, langs, first)
    assert db.execute("SELECT created_at FROM mentions WHERE id = ?", [biggest.first_mention_id]).fetchone()[0] == first


def test_a_copy_after_a_restart_joins_the_stored_cluster(db, now, room):
    base = "Thousands of customers locked out of their accounts since Monday and not a single update"
    first = [{"external_id": "a", "source": "twitter", "author": "x", "text": base, "url": "",
              "created_at": iso(now)}]
    mentions.ingest(db, now, room.id, mentions.validate(first, now), SCORER)
    clusters.forget(db, room.id)
    # An edited copy: not the same normalised text, so only the stored signature can match it.
    copy = [{**first[0], "external_id": "b", "text": "RT @y: " + base.replace("single", "") + " #shame"}]
    mentions.ingest(db, now, room.id, mentions.validate(copy, now), SCORER)
    got = clusters.of_mentions(db, [r[0] for r in db.execute("SELECT id FROM mentions ORDER BY id")])
    assert [v for v in got.values()] == [(got[1][0], 2), (got[1][0], 2)]
    assert db.execute("SELECT COUNT(*) FROM cluster_variants").fetchone()[0] == 2


def test_a_rolled_back_batch_leaves_no_ghost_cluster_in_the_index(db, now, room):
    from warroom.db import transaction

    text = "Workers in the warehouse faint from heat while the board votes itself another bonus"
    batch = mentions.validate([{"external_id": "a", "source": "twitter", "author": "x", "text": text,
                                "url": "", "created_at": iso(now)}], now)
    with pytest.raises(RuntimeError):
        with transaction(db):
            mentions.ingest(db, now, room.id, batch, SCORER)
            raise RuntimeError("the request failed after the insert")
    assert db.execute("SELECT COUNT(*) FROM mention_clusters").fetchone()[0] == 0
    mentions.ingest(db, now, room.id, batch, SCORER)  # the same text again: the index must not know it
    (cluster_id,) = db.execute("SELECT cluster_id FROM cluster_members").fetchone()
    assert db.execute("SELECT size FROM mention_clusters WHERE id = ?", [cluster_id]).fetchone() == (1,)
