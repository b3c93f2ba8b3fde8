"""Source kinds: what kind of source a found name is (person, organisation, government, media,
document, anonymous), from a lexicon of heads and name shapes; and names as the registry compares them."""

from __future__ import annotations

import re

from annotate.codebook import SourceKind
from suggestions.attribution.lexicon import DETERMINERS, PREPOSITIONS, is_verb_form, phrase_list, word_set

PERSON = SourceKind.PERSON.value


ORGANISATION = SourceKind.ORGANISATION.value


GOVERNMENT = SourceKind.GOVERNMENT.value


MEDIA = SourceKind.MEDIA.value


DOCUMENT = SourceKind.DOCUMENT.value


ANONYMOUS = SourceKind.ANONYMOUS.value


# DESIGN.md: an attribution to a vague collective ("reports indicate") is kind anonymous; bare
# "reports" follow it. Qualified reports ("media reports", "Reuters reports") are media.
REPORTS_KIND = ANONYMOUS


PRONOUN_KINDS = {
    "he": PERSON,
    "she": PERSON,
    "i": PERSON,
    "him": PERSON,
    "her": PERSON,
    "they": ANONYMOUS,
    "them": ANONYMOUS,
    "it": ANONYMOUS,
    "we": ANONYMOUS,
}


NAME_WORD_RE = re.compile(r"[\w’'.&-]+")


PARTICLE_RE = re.compile(r"(?:al|el|bin|ibn|abu|ben|de|da|van|von|le|la|du)-\w", re.IGNORECASE)


PARTICLES = word_set("al el bin ibn abu ben de da van von der le la du dela del della di dos das den ter")


ANON_HEADS = word_set(
    "analysts analyst sources source observers experts expert critics witnesses witness residents resident "
    "activists activist diplomats diplomat people insiders commentators locals rebels militants fighters "
    "insurgents protesters campaigners someone others rescuers medics doctors paramedics survivors "
    "villagers refugees gunmen men women man woman person rumours rumors accounts families family relatives parents "
    "scientists researchers lawyers organisers organizers staff workers employees members leaders teachers "
    "students victims eyewitnesses eyewitness neighbours neighbors supporters opponents critics voters citizens "
    "passengers crew survivors bystanders onlookers demonstrators participants attendees delegates visitors "
    "historians economists academics scholars physicians nurses patients pilots drivers owners players fans "
    "friends colleagues relatives spectators investors traders farmers veterans locals commentators forecasters "
    "meteorologists epidemiologists authors writers editors reporters journalists correspondents"
)


# People named by what they are or do: "the singer said" is a person, "a singer said" anonymous.
PERSON_NOUNS = word_set(
    "singer actor actress artist musician player athlete coach doctor teacher student boy girl child driver pilot "
    "victim suspect defendant plaintiff accused passenger survivor winner candidate nominee owner founder "
    "inventor astronaut captain farmer officer nurse surgeon engineer scientist researcher professor author "
    "writer mother father wife husband son daughter brother sister widow"
)


# Heads whose kind is that of the body they speak for ("a spokesperson for the UN").
SPEAKER_HEADS = word_set(
    "official officials spokesperson spokesman spokeswoman spokespeople representative representatives envoy "
    "commander commanders statement"
)


GENERIC_MODIFIERS = DETERMINERS | word_set(
    "senior junior top local unnamed anonymous western foreign regional international independent former "
    "high-ranking unidentified knowledgeable informed close"
)


DOC_HEADS = word_set(
    "study studies report survey surveys poll polls data figures statistics records documents document census "
    "research findings analysis assessment review audit investigation filing filings memo letter transcript "
    "indictment ruling lawsuit estimates tally footage images imagery video videos photos cctv camera cameras "
    "guidelines guideline law laws rules constitution treaty resolution charter manual photographs photograph "
    "pictures picture recording recordings audio database databases register registry website summary "
    "investigations inquiry inquiries probe probes tests analyses reviews decree decrees directive doctrine "
    "doctrines regulation regulations act bill code policy motion petition complaint affidavit testimony verdict "
    "judgment judgement order decision proposal plan draft declaration manifesto memorandum memoranda paper "
    "papers article articles clause provision provisions statute agreement contract protocol minutes transcripts "
    "documentation dataset archive archives map maps chart charts graph graphs model models projections "
    "forecast forecasts simulation simulations observations measurements readings results trial trials advisory "
    "advisories bulletin bulletins memoirs memoir diary diaries biography autobiography book books polling "
    "sentencing"
)


MEDIA_WORDS = word_set(
    "reuters afp bbc cnn bloomberg sana tass xinhua irna axios politico npr nbc cbs dpa anadolu haaretz "
    "guardian telegraph press media newspaper newspapers broadcaster television tv radio outlet outlets channel "
    "magazine tabloid"
)


MEDIA_PHRASES = phrase_list(
    "associated press, sky news, al jazeera, new york times, washington post, financial times, wall street journal, "
    "news agency, fox news, abc news, al arabiya, ria novosti, the times, le monde, der spiegel, al-monitor, "
    "the press, agence france-presse, state tv"
)


ORG_WORDS = word_set(
    "group groups service helmets observatory organisation organization organisations organizations un ngo "
    "ngos committee cross crescent watch amnesty foundation institute association council union federation "
    "coalition network centre center centres centers company corporation corp inc ltd university charity monitor "
    "msf who airline airlines carrier carriers firm firms retailer manufacturer operator developer publisher "
    "studio club team league hospital museum church school "
    "unicef unhcr unrwa icrc nato hts hezbollah hamas isis isil rebel opposition militia militias jihadist "
    "insurgent faction movement party front brigade brigades mission programme program bank fund"
)


ORG_PHRASES = phrase_list(
    "united nations, red cross, red crescent, human rights watch, amnesty international, islamic state, "
    "hayat tahrir al-sham, doctors without borders, white helmets"
)


GOV_WORDS = word_set(
    "investigators investigator detectives inspectors officers agents government governments ministry ministries "
    "minister ministers army forces military navy police president "
    "presidency premier cabinet kremlin pentagon department embassy authorities authority administration "
    "regime parliament congress senate governor mayor defence defense interior troops soldiers junta "
    "court courts prosecutor prosecutors commission state senator senators lawmakers lawmaker legislators "
    "legislator congressman congresswoman congressmen councillors councilors councillor councilor judges judge "
    "magistrate magistrates firefighters coroner regulators regulator ministers sheriff nations countries agency "
    "governments"
)


GOV_PHRASES = phrase_list("white house, state department, prime minister, downing street, élysée")


PLACES = word_set(
    "england scotland wales ireland "
    "syria syrian russia russian iran iranian iraq iraqi turkey turkish türkiye israel israeli lebanon lebanese "
    "jordan jordanian egypt egyptian saudi qatar qatari uae yemen yemeni ukraine ukrainian china chinese india "
    "indian pakistan pakistani afghanistan afghan u.s us american britain british uk u.k france french germany "
    "german italy italian spain spanish japan japanese korea korean canada canadian australia australian "
    "brazil mexico nigeria ethiopia sudan libya palestinian eu moscow damascus tehran ankara washington "
    "beijing kyiv kiev london paris berlin baghdad beirut cairo riyadh doha jerusalem brussels"
) | {"united states", "saudi arabia", "north korea", "south korea", "european union", "tel aviv"}


ROLE_WORDS = word_set(
    "spokesperson spokesman spokeswoman minister president secretary director chief head leader ceo chairman "
    "chairwoman governor mayor lawyer attorney editor adviser advisor aide commissioner ambassador envoy mother "
    "father wife husband son daughter brother sister constable inspector superintendent sergeant detective "
    "officer assemblyman assemblywoman congressman congresswoman senator representative councillor councilor "
    "legislator lawmaker mp mep judge justice prosecutor professor researcher scientist economist analyst expert "
    "author writer journalist reporter correspondent columnist historian activist campaigner founder owner "
    "manager executive coach president chancellor premier counsel"
)


TITLES = word_set(
    "President Minister Secretary Secretary-General Gen. General Lt. Lieutenant Col. Colonel Maj. Major Capt. "
    "Captain Sgt. Adm. Admiral Commander Dr. Dr Mr. Mr Mrs. Mrs Ms. Ms Prof. Professor Sen. Senator Rep. Gov. "
    "Governor Mayor King Queen Prince Princess Sheikh Ayatollah Pope Chancellor Ambassador Judge Justice "
    "Chief Director Envoy spokesperson spokesman spokeswoman minister president Spokesperson Spokesman Spokeswoman "
    "Speaker Chairman Chairwoman Chairperson Commissioner Deputy Attorney Representative Congressman Congresswoman "
    "Assemblyman Assemblywoman Councillor Councilor Superintendent Inspector Sergeant Detective Officer Bishop "
    "Archbishop Cardinal Rabbi Imam Lord Lady Sir Dame Emir Sultan Duke Duchess Marshal Pastor Reverend Rev."
)


# Adjectives after the head noun: "officials familiar with the talks", "people aware of the plans".
POSTPOSED_ADJECTIVES = word_set("familiar close aware involved knowledgeable present responsible briefed")


# "One of them", "a number of senators": the source is what is counted.
QUANTITY_HEADS = word_set(
    "one some many most several few each all both none number group majority minority handful couple dozens "
    "hundreds thousands two three four five rest half"
)


# Plural nouns that end a name ("Saudi officials"), unlike a verb in "-s" ("Tesco continues").
PLURAL_HEADS = (
    ANON_HEADS
    | GOV_WORDS
    | ORG_WORDS
    | MEDIA_WORDS
    | DOC_HEADS
    | SPEAKER_HEADS
    | word_set("members leaders workers employees parties companies countries nations states officers agencies news")
)


# Heads that make a noun phrase a source ("their refusal" is none).
KNOWN_HEADS = PLURAL_HEADS | ROLE_WORDS | word_set("reports rumours rumors")


def bare_word(word: str) -> str:
    word = word.lower().replace("’", "'").rstrip(".")
    return word[:-2] if word.endswith("'s") else word.rstrip("'")


def classify(name: str) -> tuple[str, float]:
    """(kind, certainty): 1.0 when a lexicon decided, lower when only the shape of the name did."""
    words = NAME_WORD_RE.findall(name)
    if not words:
        return ANONYMOUS, 0.5
    lower = [bare_word(word) for word in words]
    if len(lower) == 1 and lower[0] in PRONOUN_KINDS:
        return PRONOUN_KINDS[lower[0]], 0.75
    cut = _head_end(words, lower)
    if cut > 1 and lower[cut - 1] in POSTPOSED_ADJECTIVES:
        cut -= 1  # "officials familiar with the matter", "sources close to the family": the noun before
    head = lower[cut - 1]
    if head in QUANTITY_HEADS and cut < len(lower) and lower[cut] == "of" and cut + 1 < len(words):
        # "One of them", "A number of Senators", "some of the victims": the kind of what is counted
        rest = words[cut + 1 :]
        if len(rest) == 1 and rest[0].lower() in ("them", "those", "us", "these"):
            return ANONYMOUS, 1.0
        return classify(" ".join(rest))
    joined = " " + " ".join(lower) + " "
    if head in ("reports", "rumours", "rumors"):
        return (MEDIA if is_media(words, lower, joined) else REPORTS_KIND), 1.0
    if head in DOC_HEADS:
        return DOCUMENT, 1.0
    if head in SPEAKER_HEADS:
        after = words[cut + 1 :]
        if after:
            kind, certainty = classify(" ".join(after))
            if certainty >= 0.9 and kind != ANONYMOUS:
                return kind, 1.0
        for word, original in zip(lower[: cut - 1], words[: cut - 1], strict=True):
            if word in GENERIC_MODIFIERS:
                continue
            if word in ORG_WORDS:
                return ORGANISATION, 1.0
            if word in GOV_WORDS or word in PLACES or original[0].isupper():
                return GOVERNMENT, 1.0
        return (DOCUMENT if head == "statement" else ANONYMOUS), 1.0
    if head in ANON_HEADS:
        return ANONYMOUS, 1.0
    if head in PERSON_NOUNS and cut == len(lower):
        return (ANONYMOUS if lower[0] in ("a", "an", "one", "another", "some") else PERSON), 1.0
    if is_media(words, lower, joined):
        return MEDIA, 1.0
    if is_titled_name(words):
        return PERSON, 1.0
    if any(word in ORG_WORDS for word in lower) or any(f" {p} " in joined for p in ORG_PHRASES):
        return ORGANISATION, 1.0
    if any(word in GOV_WORDS for word in lower) or any(f" {p} " in joined for p in GOV_PHRASES):
        return GOVERNMENT, 1.0
    content = [word for word in lower if word not in DETERMINERS]
    if " ".join(content) in PLACES or (len(content) > 1 and all(w in PLACES or w == "and" for w in content)):
        return GOVERNMENT, 1.0
    if is_name_shape(words):
        return PERSON, 0.9
    if len(words) == 1 and words[0][0].isupper():
        return (ORGANISATION, 0.9) if words[0].isupper() and len(words[0]) > 1 else (PERSON, 0.8)
    named = [word for word in words if word.lower() not in DETERMINERS]
    if len(named) < len(words) and named and named[0][0].isupper() and all(map(is_name_word, named)):
        return ORGANISATION, 0.9  # "the CBCP", "the Thames Valley Trust": a name after "the" is a body's
    return ANONYMOUS, 0.6


def _head_end(words: list[str], lower: list[str]) -> int:
    """Where the head noun phrase ends: before the first preposition or "-ed" participle after the
    first word ("the decree signed by …", "Sheldon Yett of UNICEF")."""
    return next(
        (
            i
            for i, word in enumerate(lower)
            if i > 0 and (word in PREPOSITIONS or is_verb_form(word, words[i]) and word.endswith("ed"))
        ),
        len(lower),
    )


def has_source_head(name: str) -> bool:
    """The name's head (its last word before a preposition) is a name or a word the kind lexicon knows:
    "the ministry", "anonymous sources", "Reuters"; not "their refusal" nor "the request"."""
    words = NAME_WORD_RE.findall(name)
    if not words:
        return False
    lower = [bare_word(word) for word in words]
    cut = _head_end(words, lower)
    head, original = lower[cut - 1], words[cut - 1]
    return original[0].isupper() or head in KNOWN_HEADS or head in PRONOUN_KINDS


def is_media(words: list[str], lower: list[str], joined: str) -> bool:
    if "AP" in words or any(word in MEDIA_WORDS for word in lower):
        return True
    if any(WEBSITE_RE.search(word) for word in words):
        return True  # "Znak.com", "Portfolio.hu"
    return any(f" {phrase} " in joined for phrase in MEDIA_PHRASES)


def is_name_word(word: str) -> bool:
    return word[0].isupper() or word.lower() in PARTICLES or bool(PARTICLE_RE.match(word))


def is_titled_name(words: list[str]) -> bool:
    """A name after a title or a role: "Gen. Jones", "chief constable Nick Adderley"."""
    title = max((i for i, word in enumerate(words) if word in TITLES or word.lower() in ROLE_WORDS), default=-1)
    following = words[title + 1 :]
    return title >= 0 and 1 <= len(following) <= 4 and following[0][0].isupper() and all(map(is_name_word, following))


def is_name_shape(words: list[str]) -> bool:
    return (
        2 <= len(words) <= 4
        and words[0][0].isupper()
        and words[0].lower() not in DETERMINERS
        and all(map(is_name_word, words))
    )


WEBSITE_RE = re.compile(r"^[A-Z][\w-]*\.(?:com|org|net|info|news|co|uk|ru|hu|pl|de|fr|in|cn)$")


NORMALIZE_RE = re.compile(r"[\W_]+")


def normalize_name(name: str) -> str:
    normalized = NORMALIZE_RE.sub(" ", name.casefold().replace("’s", "").replace("'s", "")).strip()
    return normalized[4:] if normalized.startswith("the ") else normalized


def normalize_source_name(name: str) -> str:
    """A source name as match_source compares it: casefolded, punctuation to spaces, no leading "the"."""
    return normalize_name(name)
