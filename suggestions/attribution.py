"""Rule-based attribution finder and label heuristics behind "suggested marks".

Pure Python, no ORM, no model: a compiled lexicon of reporting cues finds the source and cue spans
inside one sentence, guesses the source kind, and suggests a codebook label with a confidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from annotate.codebook import Label, SourceKind

PERSON = SourceKind.PERSON.value
ORGANISATION = SourceKind.ORGANISATION.value
GOVERNMENT = SourceKind.GOVERNMENT.value
MEDIA = SourceKind.MEDIA.value
DOCUMENT = SourceKind.DOCUMENT.value
ANONYMOUS = SourceKind.ANONYMOUS.value

# Candidates this close to the most confident one compete on position (the earliest wins).
CONFIDENCE_MARGIN = 0.16

# DESIGN.md: an attribution to a vague collective ("reports indicate") is kind anonymous; bare
# "reports" follow it. Qualified reports ("media reports", "Reuters reports") are media.
REPORTS_KIND = ANONYMOUS


@dataclass(frozen=True, slots=True)
class Attribution:
    """Spans are character offsets into the sentence: text[start:end] is the span's text."""

    source_span: tuple[int, int] | None
    cue_span: tuple[int, int]
    source_name: str | None
    source_kind: str
    confidence: float


def _words(text: str) -> set[str]:
    return set(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(phrase.strip() for phrase in text.split(","))


_Trie = dict[str, "_Trie"]


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex alternative for many words, shared prefixes merged: about 3x faster than "a|b|c" in `re`."""
    root: _Trie = {}
    for word in words:
        node = root
        for character in word:
            node = node.setdefault(character, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        branches = [
            (r"\s+" if character == " " else re.escape(character)) + build(child)
            for character, child in sorted(node.items())
            if character
        ]
        if not branches:
            return ""
        if "" in node:
            return "(?:" + "|".join(branches) + ")?"
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return build(root)


# --- Lexicon ------------------------------------------------------------------------------------
# Finite reporting verbs: the source is the subject before them (or after them, when inverted).
_SAY = _words(
    "said says say told tells affirmed affirms claimed claim warned warns warn "
    "note confirmed confirms denied denies deny insisted insists insist argued argues argue alleged alleges "
    "explained explains acknowledged acknowledges admits asserted asserts assert "
    "testified accused accuses urged urges emphasised emphasized emphasises emphasizes cautioned "
    "conceded concedes countered replied contended contends commented tweeted reiterated reiterates reported "
    "estimated contend maintain stated stressed stresses observed remarked underlined recalled recounted "
    "vowed vows pledged pledges promised promises predicted speculated lamented complained complains boasted "
    "quipped joked assured retorted answered disputed quoted allege insist deny acknowledge admit confirm "
    "accuse urge maintains contend estimate estimates predict documented cited cites cite clarified"
)
# Stances taken towards something ("denounced the conclusions", "called the move a smash and grab"):
# reporting cues with a noun phrase object too, but less surely than a verb of saying.
_STANCE = _words(
    "denounced denounces criticised criticized criticises criticizes condemned condemns blamed blames justified "
    "defended defends praised praises hailed hails decried decries lauded questioned described describes called "
    "calls labelled labeled termed dubbed branded demanded demands characterised characterized characterises "
    "characterizes expressed referred seconded seconds thanked thanks"
)
# Acts that make the news themselves ("announced three days of mourning", "declared a state of
# emergency") and verbs with common non-reporting senses ("added 500 jobs", "revealed a plaque"):
# reporting cues only before a reported clause ("that", a colon, a quotation, "he …", "the ship was …").
_ACT = _words(
    "announced announces declared declares revealed reveals disclosed discloses wrote writes informed "
    "feared fears fear hoped hopes signalled signaled hinted hints concluded concludes responded heard read reads"
)
# "announced she will comply" is the news itself; "announced that …" reports.
_ANNOUNCE = _words("announced announces declared declares")
# Announcing is making the news (dev-set convention): a report only before a quotation or a colon.
_ANNOUNCE_QUOTED_ONLY = _words("announced announces")
_STRICT_COMPLEMENT = _words("added adds noted notes states admitted posted maintained maintains")
_COMPLEMENT = _STRICT_COMPLEMENT | _words("reports claims estimates predicts")
# Evidence verbs ("data show", "analysts suggest"): only with a subject the lexicon recognises, or
# before "that".
_WEAK = _words(
    "suggest suggests suggested indicate indicates indicated show shows showed found find finds believe "
    "believes predict attribute attributes attributed captured recorded list lists listed mentions mention "
    "mentioned instructs instruct stipulates stipulate specifies specify"
)
# Evidence verbs whose subject must be a recording or document ("CCTV captured their arrival").
_RECORDING = _words(
    "captured recorded list lists listed mentions mention mentioned instructs instruct stipulates stipulate "
    "specifies specify"
)
# Requests: reporting cues when an infinitive follows ("invited the countries to open dialogue").
_REQUEST = _words("asked asks invited invites advised advises")
# Only next to a quotation ("“Overall,” he continued, “…").
_QUOTE_ONLY = _words("continued continues")
# Participles continue a clause whose subject came earlier ("…, saying …"; "with officials saying").
_PARTICIPLE = _words(
    "noting saying adding claiming stating warning insisting arguing alleging asserting declaring explaining "
    "calling describing writing blaming accusing urging reporting telling announcing confirming denying stressing "
    "suggesting predicting"
)
# Cues that allow subject inversion after a quote or a comma ("…,” said Gen. Jones.").
_INVERTIBLE = _words(
    "said says added noted wrote explained stated warned insisted declared argued told replied continued "
    "asked remarked observed commented recalled stressed confirmed claimed tweeted insisted cautioned responded "
    "countered recalled tweeted read reads"
)
# "X was reported …", "it is believed …": sourceless unless followed by "by <source>".
_PASSIVE_OK = _words(
    "reported said believed thought alleged claimed understood rumoured rumored estimated identified described "
    "told quoted"
)
_ADVERB_CONFIDENCE = {
    "reportedly": 0.6,
    "Reportedly": 0.6,
    "allegedly": 0.5,
    "Allegedly": 0.5,
    "purportedly": 0.45,
}
# "claimed responsibility", "claimed the lives of": acts, not statements.
_ACT_OBJECT_RE = re.compile(
    r"\s+(?:(?:full\s+|sole\s+)?responsibility|credit|victory|the\s+(?:title|lives?|seat|throne|prize|crown)"
    r"|(?:a|an|his|her|their|its)\s+(?:\w+\s+)?(?:victory|win|seat|title|medal|prize|record|lives?))\b"
)
# "called off the strike", "called in the army": phrasal verbs, not statements.
_CALLED_PARTICLE_RE = re.compile(r"\s+(?:off|up|in|out|back|it|an?\s+(?:election|vote|strike|halt|meeting|truce))\b")
_CALLED_ON_RE = re.compile(r"\s+(?:on|for)\b")
_INFINITIVE_AHEAD_RE = re.compile(r"(?:\s+[\w’'.-]+){1,8}?\s+(?:to|not\s+to|not)\s+[a-z]")
_TOLD_OBJECT_RE = re.compile(
    r"\s+(?:reporters|journalists|the\s+(?:press|media|court|jury|public|BBC|[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*){0,3})"
    r"|[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*){0,3})(?=[\s,.:;\"“])"
)

# "abuse is reported to the Watch Tower Society": reported to an authority, not by a source
_REPORTED_TO_RE = re.compile(r"\s+to\s+(?:the|a|an|his|her|their|its|[A-Z])")
# "no deaths were reported": the absence of a report is the outlet's own statement
_NEGATED_SUBJECT_RE = re.compile(r"(?:^|[,;:]\s*|\b(?:and|but)\s+)(?:no|nothing|none)\b[^,;:]*$", re.IGNORECASE)
# Passives that report only with their agent: "was identified as X by a Coast Guard spokesperson".
_AGENT_NEEDED = _words("identified described told quoted")
# Only as passives: "it is understood", "X is believed to".
_PASSIVE_ONLY = _words("believed thought understood rumoured rumored identified")
# Plural nouns that double as verbs: in "media reports said" and "claims of victory" they are nouns.
_NOUN_FORMS = _words("reports claims estimates notes states calls demands questions comments")
_NOUN_FOLLOWERS = _words(
    "of about by from on in for over were are have had could would may might will can should must include "
    "included includes"
)
_POSSESSIVE_BEFORE_RE = re.compile(r"\w(?:['’]s?|s['’])\s+$")

_CUE_WORDS = (
    _SAY
    | _STANCE
    | _ACT
    | _COMPLEMENT
    | _WEAK
    | _REQUEST
    | _QUOTE_ONLY
    | _PARTICIPLE
    | _PASSIVE_ONLY
    | set(_ADVERB_CONFIDENCE)
)
_CUE_RE = re.compile(
    r"\b(?:(?P<according>[Aa]ccording\s+to|(?:(?<=^)|(?<=[,;]\s))[Pp]er(?=\s+(?:the|a|an|[A-Z])))|(?P<asby>as\s+reported\s+by)|(?P<citing>citing)"
    r"|(?P<quoted>quoted\s+as\s+saying)|(?P<pointed>pointed\s+out|went\s+on\s+to\s+say|spoke\s+out\s+against)"
    r"|(?P<statement>(?:released|issued|published|posted|put\s+out)\s+(?:(?:a|an|its|their|his|her)\s+)?(?:\w+\s+)?"
    r"(?:statements?|announcements?|messages?|posts?|tweets?)(?:\s+(?:which|that)\s+(?:read|reads|said|says|stated))?)"
    r"|(?P<nounby>(?:estimates?|figures|statement|reports?|findings|account))(?=\s+by\s)"
    r"|(?P<word>" + _trie_pattern(_CUE_WORDS) + r"))\b"
    r"|(?P<colon>:\s*(?=[“\"]))"
)

# --- Noun phrases -------------------------------------------------------------------------------
_DETERMINERS = _words(
    "the a an its their his her our my your some many several both all most few other another each every "
    "various one two three four five six seven eight nine ten dozens hundreds"
)
# A token of these turns a candidate subject into a clause: no source there.
_CLAUSE_WORDS = _words(
    "is are was were be been being am has have had will would can could should may might must shall do does "
    "did not there here this these those that which who whom whose what when where why how if because "
    "although while than"
)
_PRONOUN_KINDS = {
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
_ADJECTIVES_ED_ING = _words(
    "armed united based backed led allied related unnamed named detained retired exiled elected trained "
    "concerned informed unidentified appointed sanctioned designated leading ruling governing opposing "
    "fighting neighbouring neighboring visiting outgoing incoming acting striking surviving remaining existing "
    "missing injured wounded married disabled displaced organised organized"
)
_PREPOSITIONS = _words("of for from by at in on with close to within inside")
_POST_STOP = _CLAUSE_WORDS | _words(
    "that in on during after before as adding noting saying citing late early earlier later last yesterday "
    "today and but while"
)
_LAST_TOKEN_BAD = _words("and or but of for in on at by with from to the a an")
# Participles that open a reduced relative clause after a noun ("a report published on Tuesday found").
_REDUCED_RELATIVE = _words(
    "published released issued quoted cited posted obtained conducted commissioned compiled funded seen carried "
    "broadcast aired filed submitted presented"
)
_OPENING_PREPOSITIONS = _PREPOSITIONS | _words(
    "during after before amid despite without over under since until as across near following"
)

# Where a subject noun phrase can start: punctuation, quotes and clause openers.
_BOUNDARY_RE = re.compile(
    r"[,;:()\[\]—–“”\"]|\s-\s|(?<=[.!?])[’']"
    r"|\b(?:that|but|while|whereas|when|after|because|since|although|though|where|if|so|then|which|who|whom"
    r"|and(?=\s+(?:the|a|an|its|their|his|her)\b))\b"
)
# "Deutsche Welle (DW)": an abbreviation in brackets belongs to the name before it.
_ABBREVIATION_RE = re.compile(r"\([A-Z][\w.&-]{0,15}\)")
_LEADING_CONJUNCTION_RE = re.compile(
    r"(?:(?:But|And|Yet|So|However|Meanwhile|Now|Still|Also|Separately|Earlier|Later|Instead)\s+)+"
)
# Auxiliaries, adverbs and time phrases between a subject and its verb.
_TRAILING_AUX_RE = re.compile(
    r"(?:\s+(?:has|have|had|also|previously|earlier|later|again|repeatedly|publicly|further|separately|"
    r"recently|then|now|yesterday|today|once|already|initially|first|officially|privately|subsequently|"
    r"consistently|openly|jointly|reportedly|allegedly|purportedly|since|still|too|there|here|"
    r"on\s+\w+day|in\s+a\s+statement(?:\s+on\s+\w+day)?|in\s+an\s+interview|last\s+(?:week|month|year|night)))+"
    r"\s*$"
)
_HEDGE_ADVERB_RE = re.compile(r"\b(?:reportedly|allegedly|purportedly)\b")
# "Prime Minister Tuilaepa, who told the press": the antecedent is the source.
_RELATIVE_END_RE = re.compile(r",?\s*\b(?:who|which)\s*$")
# "…, but said exports were continuing": a second verb of the first clause's subject.
_COORDINATE_END_RE = re.compile(r"(?:,\s*|\s)(?:but|and|yet)(?:\s+(?:also|then|later|further))?\s*$")
_ACT_FOLLOW_RE = re.compile(
    r"(?:\s+(?:on\s+\w+day|yesterday|today|last\s+(?:week|month|night)|earlier|later|in\s+a\s+statement"
    r"|(?:in|on|to|at|during)\s+[^,;:“”\"]{1,40}?))?"
    r"\s*(?:that\b|,?\s*[:“\"‘])"
)
# Right after a quotation: "“…”, wrote President Mnangagwa." / "“…,” he wrote."
_AFTER_QUOTE_RE = re.compile(
    r"(?:[,.!?]?[”\"’]|[”\"’][,.!?])\s*(?:(?:he|she|they|it|[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){0,3})\s*)?$"
)
# A cue that ends the sentence after the reported content: "…, police revealed on Saturday."
_FINAL_RE = re.compile(
    r"(?:\s+(?:on\s+\w+day|yesterday|today|last\s+\w+|earlier|later|in\s+a\s+statement"
    r"|on\s+(?:Twitter|Facebook|X|television|TV)))?\s*[.!?]?[”\"’]?\s*$"
)
_LEADING_TIME_RE = re.compile(
    r"(?:(?:On|This|Last|Next|Earlier|Later|Late|Early|Since|By|In)\s+(?:this\s+week\s+)?(?:on\s+)?"
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|week|month|year|morning|night|January|February"
    r"|March|April|May|June|July|August|September|October|November|December|\d{4})"
    r"(?:\s+(?:morning|afternoon|evening|night|\d{1,2}(?:,\s+\d{4})?))?\s+)+"
)
# What a released statement is followed by when it is quoted or reported: ", in part, “…", ": …", "saying …".
_STATEMENT_CONTENT_RE = re.compile(
    r"[\s,]*(?:in\s+part[\s,]*)?(?:[:“\"‘]|that\b|saying\b|stating\b|speaking\s+of\b|calling\b|claiming\b)"
)
_QUOTE_FOLLOW_RE = re.compile(r"\s*,?\s*[:“\"‘]")
_DENIED_ACT_RE = re.compile(
    r"\s+(?:\w+\s+)?(?:funding|funds|access|entry|bail|permission|requests?|visas?|applications?|appeals?|approval"
    r"|licen[cs]es?|a\s+(?:request|visa|permit|licen[cs]e))\b"
)
_THAT_FOLLOW_RE = re.compile(r"\s+(?:that|he|she|they|it|we|I)\b|\s*[:“\"]")
# A reported clause after the cue: "revealed the company had lost", "added he would stay".
_NOT_A_VERB = r"(?!(?:of|and|in|on|for|to|at|by|from|with|as)\b)"
_CLAUSE_AHEAD_RE = re.compile(
    # "the purchase appeared …": a determiner, one or two words (no preposition), a verb in -ed/-s
    r"\s+(?:(?:the|a|an|this|that|its|his|her|their)(?:\s+"
    + _NOT_A_VERB
    + r"[\w’'-]+){1,2}?\s+"
    + _NOT_A_VERB
    + r"(?:[a-z]+ed\b|[a-z]+(?:es|ies|s)\b(?!\s+(?:of|to|for|in|and)\b))"
    # "claimed Spanton first complained …": a name, an adverb perhaps, a verb in -ed/-s
    + r"|[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){0,3}(?:\s+(?:first|also|then|later|only|still|never))?\s+"
    + _NOT_A_VERB
    + r"[a-z]+(?:ed|es|ies|s)\b"
    # "added he would stay", "claimed 190 were dead": an auxiliary within a few words
    + r"|he|she|they|it|we|I|there|[\w’'.%-]+(?:\s+[\w’'.%-]+){0,6}?\s+(?:is|are|was|were|had|has|have|would|will"
    r"|could|can|did|does|should|must|might|may|remains?|remained|planned|plans|intends|wants|wanted|needed|needs))\b"
)
_TO_RE = re.compile(r"\s+(?:not\s+)?to\b")
_ADJECTIVE_BEFORE_RE = re.compile(
    r"\b(?:the|a|an|of|over|for|about|on|in|by|with|against|his|her|its|their|our|this|these|those|among|amongst"
    r"|amid|despite|after|following|before)\s+$",
    re.IGNORECASE,
)
_ALLEGED_NOUN_RE = re.compile(r"\s+(?!that\b)[a-z]+\s+(?:to|of|in|with|between|by)\b")
_COORDINATE_OK = _words("said says told added stated noted claimed warned insisted argued wrote tweeted")
_NAME_RUN_RE = re.compile(r"(?:\b[A-Z][\w’'.-]*\s+){0,5}[A-Z][\w’'.-]*\s*$")
_QUOTE_BEFORE_RE = re.compile(
    r"(?:[,.!?]?[”\"]|[”\"][,.!?])\s*(?:he|she|they|it|[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){0,3})\s*$"
)
_QUOTE_AFTER_RE = re.compile(r"\s*[,:]\s*[“\"]")
# What carries a statement, whose author is the source: "a tweet on Monday by X".
_VEHICLE_HEADS = _words("tweet post statement message letter interview release report video speech remarks")
_BY_AHEAD_RE = re.compile(r"(?:\s+[^\s,;:]+){0,6}?\s+by\s+")
_WITH_NP_RE = re.compile(r"\bwith\s+(?P<np>[^,;:“”\"]{1,60}?)\s*$")
_OPENING_ADVERBS = _words(
    "however meanwhile yesterday today earlier later separately additionally also instead nevertheless currently "
    "subsequently meanwhile overall recently afterwards then still"
)
_TIME_ONLY_RE = re.compile(
    r"^(?:(?:on|last|this|early|late|by|in)\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
    r"January|February|March|April|May|June|July|August|September|October|November|December|\d{4}|yesterday|today)\b"
)
# Irregular past forms that end a subject noun phrase ("Pompeo posted …" is caught by "-ed").
_MAIN_VERB_STOP = _words(
    "made gave took met went came spoke wrote saw held left sent put set read began became brought got led "
    "won lost ran fell rose hit struck sought thought kept paid found"
)
_BE_AUX_RE = re.compile(
    r"\b(?:is|are|was|were|be|been|being)(?:\s+(?:[a-z]+ly|also|now|not|later|since|first|then|still|soon"
    r"|on\s+\w+day|yesterday|today|earlier))*\s*$"
)
_BE_OR_HAS_RE = re.compile(r"\s+(?:is|are|was|were|has\s+been|have\s+been|had\s+been)\s*$")
_COMPLEMENT_FOLLOW_RE = re.compile(
    r"(?:\s+(?:on\s+\w+day|yesterday|today|last\s+(?:week|month|night)|earlier|later|in\s+a\s+statement))?"
    r"\s*(?:that\b|[:“\"‘,])|\s*[.!?]?[”\"’]?\s*$"
)
# "Rebels said to be advancing": a reduced passive, not the rebels speaking.
_REDUCED_PASSIVE_RE = re.compile(r"\s+to\s+(?:be|have)\b")
_RELATIVE_RE = re.compile(r"\s(?:who|which|that)\s")
_DETERMINER_START_RE = re.compile(r"\b(?:the|a|an|The|A|An)\s")
_TOKEN_RE = re.compile(
    r"(?:Gen|Col|Lt|Maj|Capt|Sgt|Adm|Cmdr|Dr|Mr|Mrs|Ms|Prof|Sen|Rep|Gov|Rev|St|Jr|Sr|Inc|Ltd|Corp)\."
    r"|(?:[A-Z]\.){2,}|[^\W_](?:[\w’'&-]*\w)?"
)
_NEXT_WORD_RE = re.compile(r"\s+([a-z]+)")
_SPACES_RE = re.compile(r"[ \t\u00a0]*")
_NAME_WORD_RE = re.compile(r"[\w’'.&-]+")
_PARTICLE_RE = re.compile(r"(?:al|el|bin|ibn|abu|ben|de|da|van|von|le|la|du)-\w", re.IGNORECASE)
_PARTICLES = _words("al el bin ibn abu ben de da van von der le la du dela del della di dos das den ter")

# --- Kind lexicon -------------------------------------------------------------------------------
_ANON_HEADS = _words(
    "analysts analyst sources source observers experts expert critics witnesses witness residents resident "
    "activists activist diplomats diplomat people insiders commentators locals rebels militants fighters "
    "insurgents protesters campaigners someone others rescuers medics doctors paramedics survivors "
    "villagers refugees gunmen men women man woman person rumours rumors accounts families family relatives parents "
    "scientists researchers lawyers organisers organizers staff workers employees members leaders teachers "
    "students victims eyewitnesses eyewitness"
)
# Heads whose kind is that of the body they speak for ("a spokesperson for the UN").
_SPEAKER_HEADS = _words(
    "official officials spokesperson spokesman spokeswoman spokespeople representative representatives envoy "
    "commander commanders statement"
)
_GENERIC_MODIFIERS = _DETERMINERS | _words(
    "senior junior top local unnamed anonymous western foreign regional international independent former "
    "high-ranking unidentified knowledgeable informed close"
)
_DOC_HEADS = _words(
    "study studies report survey surveys poll polls data figures statistics records documents document census "
    "research findings analysis assessment review audit investigation filing filings memo letter transcript "
    "indictment ruling lawsuit estimates tally footage images imagery video videos photos cctv camera cameras "
    "guidelines guideline law laws rules constitution treaty resolution charter manual photographs photograph "
    "pictures picture recording recordings audio database databases register registry website summary "
    "investigations inquiry inquiries probe probes tests analyses reviews decree decrees directive"
)
_MEDIA_WORDS = _words(
    "reuters afp bbc cnn bloomberg sana tass xinhua irna axios politico npr nbc cbs dpa anadolu haaretz "
    "guardian telegraph press media newspaper newspapers broadcaster television tv radio outlet outlets channel "
    "magazine tabloid"
)
_MEDIA_PHRASES = _phrases(
    "associated press, sky news, al jazeera, new york times, washington post, financial times, wall street journal, "
    "news agency, fox news, abc news, al arabiya, ria novosti, the times, le monde, der spiegel, al-monitor, "
    "the press, agence france-presse, state tv"
)
_ORG_WORDS = _words(
    "group groups service helmets observatory organisation organization organisations organizations un ngo "
    "ngos committee cross crescent watch amnesty foundation institute association council union federation "
    "coalition network centre center company corporation corp inc ltd university charity monitor msf who "
    "unicef unhcr unrwa icrc nato hts hezbollah hamas isis isil rebel opposition militia militias jihadist "
    "insurgent faction movement party front brigade brigades mission programme program bank fund"
)
_ORG_PHRASES = _phrases(
    "united nations, red cross, red crescent, human rights watch, amnesty international, islamic state, "
    "hayat tahrir al-sham, doctors without borders, white helmets"
)
_GOV_WORDS = _words(
    "investigators investigator detectives inspectors officers agents government governments ministry ministries "
    "minister ministers army forces military navy police president "
    "presidency premier cabinet kremlin pentagon department embassy authorities authority administration "
    "regime parliament congress senate governor mayor defence defense interior troops soldiers junta "
    "court courts prosecutor prosecutors commission state"
)
_GOV_PHRASES = _phrases("white house, state department, prime minister, downing street, élysée")
_PLACES = _words(
    "syria syrian russia russian iran iranian iraq iraqi turkey turkish türkiye israel israeli lebanon lebanese "
    "jordan jordanian egypt egyptian saudi qatar qatari uae yemen yemeni ukraine ukrainian china chinese india "
    "indian pakistan pakistani afghanistan afghan u.s us american britain british uk u.k france french germany "
    "german italy italian spain spanish japan japanese korea korean canada canadian australia australian "
    "brazil mexico nigeria ethiopia sudan libya palestinian eu moscow damascus tehran ankara washington "
    "beijing kyiv kiev london paris berlin baghdad beirut cairo riyadh doha jerusalem brussels"
) | {"united states", "saudi arabia", "north korea", "south korea", "european union", "tel aviv"}
_ROLE_WORDS = _words(
    "spokesperson spokesman spokeswoman minister president secretary director chief head leader ceo chairman "
    "chairwoman governor mayor lawyer attorney editor adviser advisor aide commissioner ambassador envoy mother "
    "father wife husband son daughter brother sister"
)
_TITLES = _words(
    "President Minister Secretary Secretary-General Gen. General Lt. Lieutenant Col. Colonel Maj. Major Capt. "
    "Captain Sgt. Adm. Admiral Commander Dr. Dr Mr. Mr Mrs. Mrs Ms. Ms Prof. Professor Sen. Senator Rep. Gov. "
    "Governor Mayor King Queen Prince Princess Sheikh Ayatollah Pope Chancellor Ambassador Judge Justice "
    "Chief Director Envoy spokesperson spokesman spokeswoman minister president"
)

# Plural nouns that end a name ("Saudi officials"), unlike a verb in "-s" ("Tesco continues").
_PLURAL_HEADS = (
    _ANON_HEADS
    | _GOV_WORDS
    | _ORG_WORDS
    | _MEDIA_WORDS
    | _DOC_HEADS
    | _SPEAKER_HEADS
    | _words("members leaders workers employees parties companies countries nations states officers agencies news")
)

# --- Labels -------------------------------------------------------------------------------------
BOILERPLATE_RE = re.compile(
    r"^\s*(?:[–—]\s*\S|original\s+source\s*:|source\s*:|(?:additional\s+)?reporting\s+by\b|writing\s+by\b|editing\s+by\b"
    r"|compiled\s+by\b|photo\s*(?:credit)?\s*:|image\s*(?:source|caption)?\s*:|picture\s*:|video\s*:|caption\s*:"
    r"|credit\s*:|copyright\b|©|\(c\)\s|all\s+rights\s+reserved|read\s+more\b|read\s+also\b|related\s*:"
    r"|follow\s+us\b|sign\s+up\b|subscribe\b|share\s+this\b|click\s+here\b|advertisement\b|(?:last\s+)?updated\s*:?\s*(?:\d|on\b|at\b)"
    r"|published\s*:?\s*(?:\d|on\b|at\b)|by\s+(?-i:[A-Z][\w.’'-]+(?:\s+(?:and\s+)?[A-Z][\w.’'-]+){0,4})\s*$)",
    re.IGNORECASE,
)
DATELINE_RE = re.compile(r"^[^\n]{0,60}?\((?:Reuters|AP|AFP|Bloomberg|dpa|UPI|CNN)\)\s*[-–—]+\s*")
# Interpretive wording (analysis): strong words count 1, weak ones (modals, hedges) 0.5.
_ANALYSIS_STRONG = _phrases(
    "signal, signals, signaled, signalled, signaling, signalling, signify, signifies, signifying, marks a, marks an, "
    "marks the, highlights, highlighting, highlighted, underscore, underscores, underscoring, underscored, suggests, "
    "suggesting, remains, uncertain, uncertainty, pivotal, significant, significantly, significance, likely, "
    "unlikely, potential, potentially, complex, complexity, complexities, fragile, precarious, implication, "
    "implications, appear to, appears to, seem, seems, seemingly, indicating, reflects, reflecting, mirrors, "
    "illustrates, illustrating, instrumental, crucial, critical, perhaps, arguably, grave, dire, threatens, "
    "unprecedented, shift, turning point"
)
_ANALYSIS_WEAK = _phrases(
    "could, may, might, would, should, risk, risks, historic, historically, concern, concerns, notably, echoing, amid"
)
ANALYSIS_RE = re.compile(
    r"\b(?:(?P<strong>" + _trie_pattern(_ANALYSIS_STRONG) + r")|(?P<weak>" + _trie_pattern(_ANALYSIS_WEAK) + r"))\b",
    re.IGNORECASE,
)
STARTS_DEMONSTRATIVE_RE = re.compile(r"^\W*(?:This|These|Such|That)\b")
QUOTE_RE = re.compile(r"[“”\"«»]|(?<!\w)‘|’(?!\w)")
_DIGIT_RE = re.compile(r"\d")
_FIRST_PERSON_RE = re.compile(r"\b(?:I|we|We|our|Our|us)\b")


# --- Public API ---------------------------------------------------------------------------------
# Cached: the learned model's features and its spans look at the same sentence twice.
@lru_cache(maxsize=4096)
def find_attribution(text: str) -> Attribution | None:
    """The attribution of one sentence, or None when no reporting cue is found.

    Patterns: "<source>[, appositive,] <cue> …", "…, <source> said." / "…, said <source>.",
    "according to <source>", "as reported by / citing <source>", "Reports indicate …" and sourceless
    cues ("reportedly", "is said to"). The source of the main clause wins: the earliest candidate
    whose confidence is within CONFIDENCE_MARGIN of the most confident one ("Brudziński said …;
    TVN24 reported …" -> Brudziński).
    """
    candidates = [c for c in (_candidate(text, match) for match in _CUE_RE.finditer(text)) if c is not None]
    if not candidates:
        return None
    top = max(candidate.confidence for candidate in candidates)
    return min(
        (c for c in candidates if c.confidence >= top - CONFIDENCE_MARGIN),
        key=lambda c: c.cue_span[0],
    )


def guess_source_kind(name: str) -> str:
    """The SourceKind value a source name most likely has ("the Syrian government" -> government)."""
    return _classify(name)[0]


def is_boilerplate(text: str) -> bool:
    """Not part of the report: a byline, credit, "Original Source:" trailer or a bare dateline."""
    return bool(BOILERPLATE_RE.match(text)) or _strip_dateline(text) is None


def suggest_label(text: str) -> tuple[str, float, Attribution | None]:
    """A rule-based label, its confidence in (0, 1], and the attribution found (None for `other`).

    Order: boilerplate -> other; a confident attribution -> attribution; interpretive wording ->
    analysis; a weak attribution -> attribution; anything else -> claim.
    """
    body = _strip_dateline(text)
    if body is None:
        return Label.OTHER.value, 0.9, None
    if BOILERPLATE_RE.match(text):
        return Label.OTHER.value, 0.95, None
    attribution = find_attribution(text)
    if attribution is not None and attribution.confidence >= 0.5:
        return Label.ATTRIBUTION.value, round(attribution.confidence, 3), attribution
    score = _analysis_score(body)
    if score >= 1.0:
        return Label.ANALYSIS.value, round(min(0.9, 0.45 + 0.1 * score), 3), attribution
    if attribution is not None:
        return Label.ATTRIBUTION.value, round(attribution.confidence, 3), attribution
    confidence = 0.5 + (0.1 if _DIGIT_RE.search(body) else 0.0) - 0.1 * score
    return Label.CLAIM.value, round(min(0.7, max(0.3, confidence)), 3), None


# --- Candidates ---------------------------------------------------------------------------------
def _candidate(text: str, match: re.Match[str]) -> Attribution | None:
    start, end = match.span()
    if _inside_quote(text, start):
        return None  # the quoted speaker's own words ("“They have conceded nothing,” …"), not our report
    quote_factor = 1.0
    if match.group("according") or match.group("asby") or match.group("citing"):
        base = 0.9 if match.group("according") else 0.75 if match.group("asby") else 0.5
        source = _nested_source(text, _noun_phrase_after(text, end))
        if match.group().lower() == "per" and (source is None or _classify(text[source[0] : source[1]])[1] < 0.9):
            return None  # "Per the request, …" is no source; "Per the decree, …" is
        return _with_source(text, source, (start, end), base)
    if match.group("nounby"):
        agent = _noun_phrase_after(text, end + len(" by"))
        return _with_source(text, agent, (start, end), 0.75 * quote_factor) if agent else None
    if match.group("colon") is not None:
        return _colon_candidate(text, start, quote_factor)
    if match.group("statement"):
        # "Facebook released a statement which read, …": its author is the source
        if not _STATEMENT_CONTENT_RE.match(text, end):
            return None
        subject = _subject_before(text, len(_TRAILING_AUX_RE.sub("", text[:start]).rstrip()))
        return _with_source(text, subject, (start, end), 0.8 * quote_factor) if subject else None
    if match.group("quoted"):
        left = _BE_OR_HAS_RE.sub("", text[:start])
        return _with_source(text, _subject_before(text, len(left)), (start, end), 0.8 * quote_factor)
    word = match.group("pointed") or match.group("word")
    request = False
    if word in _ADVERB_CONFIDENCE:
        # "reportedly" with no named source: source and cue are both the adverb (dev-set convention);
        # "X reportedly said" is taken by the verb's candidate, whose cue span starts at the adverb.
        return Attribution(
            (start, end), (start, end), text[start:end], ANONYMOUS, round(_ADVERB_CONFIDENCE[word] * quote_factor, 3)
        )
    if word in _PARTICIPLE:
        # "…, saying …", "with officials saying …": the speaker is named before, else a gerund
        # ("mandate reporting abuse")
        source = _participle_subject(text, start)
        return _with_source(text, source, (start, end), 0.65 * quote_factor) if source is not None else None
    if word in _NOUN_FORMS:
        following = _NEXT_WORD_RE.match(text, end)
        if following and (following.group(1) in _CUE_WORDS or following.group(1) in _NOUN_FOLLOWERS):
            return None
        if _POSSESSIVE_BEFORE_RE.search(text, 0, start):
            return None  # "Protesters' demands include …"
    if word.startswith("claim") and (
        _ACT_OBJECT_RE.match(text, end)
        or not (
            _AFTER_QUOTE_RE.search(text, 0, start)
            or _ACT_FOLLOW_RE.match(text, end)
            or _CLAUSE_AHEAD_RE.match(text, end)
            or _QUOTE_BEFORE_RE.search(text, 0, start)
            or _COMPLEMENT_FOLLOW_RE.match(text, end)
        )
    ):
        return None  # "claimed responsibility", "claimed control of the airport": acts
    if _ADJECTIVE_BEFORE_RE.search(text, 0, start) or (word == "alleged" and _ALLEGED_NOUN_RE.match(text, end)):
        return None  # "over alleged plots", "the reported attack", "has alleged ties to"
    after_quote = bool(_AFTER_QUOTE_RE.search(text, 0, start))
    clause_final = bool(_FINAL_RE.match(text, end)) and ", " in text[:start]
    reported_clause = (
        _ACT_FOLLOW_RE.match(text, end) or _QUOTE_BEFORE_RE.search(text, 0, start) or after_quote or clause_final
    )
    if word in _ACT and not reported_clause and (word in _ANNOUNCE or not _CLAUSE_AHEAD_RE.match(text, end)):
        return None
    if word in _ANNOUNCE_QUOTED_ONLY and not (_QUOTE_FOLLOW_RE.match(text, end) or after_quote or clause_final):
        return None  # "announced that her government will withdraw the bill": the announcement is the news
    if word in ("denied", "denies", "deny") and _DENIED_ACT_RE.match(text, end):
        return None  # "Congress has repeatedly denied funding": a refusal, not a statement
    if word in _REQUEST and not _INFINITIVE_AHEAD_RE.match(text, end):
        return None
    if word in ("called", "calls"):
        if _CALLED_PARTICLE_RE.match(text, end):
            return None
        on_for = _CALLED_ON_RE.match(text, end)
        if on_for:
            end = on_for.end()
            request = True
    if word in _QUOTE_ONLY and not _next_to_quote(text, start, end):
        return None
    if word == "referred":
        if not text.startswith(" to ", end):
            return None
        end += len(" to")
    left = text[:start]
    passive = _BE_AUX_RE.search(left)
    if word in _PASSIVE_ONLY and not passive:
        return None
    if not passive and word.endswith("ed") and text.startswith(" by ", end) and not word.startswith("claim"):
        # "A cargo plane, reported by local press as belonging to …": a reduced passive with its agent
        agent = _by_agent(text, end)
        if agent is not None and (word in _PASSIVE_OK or word in _SAY or word in _STANCE):
            return _with_source(text, agent, (start, end), 0.7 * quote_factor)
    if not passive and word in _PASSIVE_OK and _REDUCED_PASSIVE_RE.match(text, end):
        return _sourceless(start, end, 0.45 * quote_factor)
    if passive:
        if word not in _PASSIVE_OK:
            # "The decision was criticised by rights groups": only with the agent named.
            agent = _by_agent(text, end) if (word in _SAY or word in _STANCE) and text.startswith(" by ", end) else None
            return _with_source(text, agent, (passive.start(), end), 0.7 * quote_factor) if agent else None
        if word in ("told", "asked") and _TO_RE.match(text, end):
            return None  # "Residents were told to stay off the roads": an instruction, not a report
        agent = _by_agent(text, end)
        if agent:
            return _with_source(text, agent, (passive.start(), end), 0.75 * quote_factor)
        if (
            word in _AGENT_NEEDED
            or _NEGATED_SUBJECT_RE.search(left)
            or _REPORTED_TO_RE.match(text, end)
            or text.startswith(" missing", end)  # "was reported missing": a missing-person report
        ):
            return None  # "K2-18b was first identified in 2015", "no deaths were reported": no report
        return _sourceless(passive.start(), end, 0.5 * quote_factor)
    if word == "told":
        told_object = _TOLD_OBJECT_RE.match(text, end)
        if told_object:
            end = told_object.end()
    aux = _TRAILING_AUX_RE.search(left)
    trimmed = left[: aux.start()].rstrip() if aux else left.rstrip()
    cue_start = start
    if aux and _HEDGE_ADVERB_RE.search(aux.group()):
        cue_start = aux.start() + len(aux.group()) - len(aux.group().lstrip())  # "reportedly said"
    span: tuple[int, int] | None = None
    inverted = False
    # After a comma or a closing quote: an appositive ("X, a group, said") or an inversion ("…,” said X).
    closing_quote = trimmed.endswith(("”", '"', "’", "'")) and (trimmed[-2:-1] in ",.!?" or word in _INVERTIBLE)
    if trimmed.endswith(",") or closing_quote:
        if trimmed.endswith(","):
            span = _subject_before_appositive(text, len(trimmed) - 1)
        if span is None and word in _INVERTIBLE and not trimmed.endswith(","):
            span = _inverted_subject(text, end)
            inverted = True
        if span is None and trimmed.endswith(","):
            if word in _INVERTIBLE:
                span = _inverted_subject(text, end)
                inverted = span is not None
            if span is None:
                # "Both he and the county's commissioner, urged …": a stray comma before the verb
                span = _subject_before(text, len(trimmed) - 1)
                if span is not None and _classify(text[span[0] : span[1]])[1] < 0.9:
                    span = None
    elif _RELATIVE_END_RE.search(trimmed):
        # "Prime Minister Tuilaepa, who told the press …": the source is the antecedent.
        relative = _RELATIVE_END_RE.search(trimmed)
        span = _trailing_name(text, relative.start()) or _subject_before(text, relative.start())
    elif _COORDINATE_END_RE.search(trimmed):
        # "The agency did not mention …, but said …": the subject of the first verb, for plain
        # speech verbs or a reported clause only ("… and confirmed their conclusion" is no report).
        if word not in _COORDINATE_OK and word not in _REQUEST and not _COMPLEMENT_FOLLOW_RE.match(text, end):
            return None
        span = _main_subject(text, _COORDINATE_END_RE.search(trimmed).start())
    else:
        span = _subject_before(text, len(trimmed))
    if span is None:
        return None
    span = _name_only(text, span)
    kind, certainty = _classify(text[span[0] : span[1]])
    if word in _RECORDING and kind != DOCUMENT:
        return None  # "CCTV captured …" reports; "Rebels captured 12 villages" does not
    if (
        word in ("found", "find", "finds")
        and kind != DOCUMENT
        and not (_THAT_FOLLOW_RE.match(text, end) or _CLAUSE_AHEAD_RE.match(text, end))
    ):
        return None  # "Police found the body" is an act; "the study found", "they found that" report
    if word in _WEAK and (certainty < 0.9 or kind == PERSON and certainty < 1.0):
        if not _THAT_FOLLOW_RE.match(text, end):
            return None
        certainty = min(certainty, 0.8)
    needs_complement = word in _STRICT_COMPLEMENT or (
        word in _COMPLEMENT and certainty < 1.0 and not _is_proper(text, span)
    )
    if (
        needs_complement
        and not inverted
        and not (_COMPLEMENT_FOLLOW_RE.match(text, end) or _CLAUSE_AHEAD_RE.match(text, end))
    ):
        return None
    base = 0.7 if word in _STANCE and not request else 0.85
    cue_span = (cue_start, end)
    if span[1] <= start and text[span[0] : span[1]].lower() == "reports":
        cue_span = (span[0], end)  # "Reports indicate": the collective is part of the cue
    return Attribution(span, cue_span, text[span[0] : span[1]], kind, round(base * certainty * quote_factor, 3))


def _with_source(text: str, span: tuple[int, int] | None, cue: tuple[int, int], base: float) -> Attribution | None:
    if span is None:
        return _sourceless(cue[0], cue[1], base * 0.5)
    name = text[span[0] : span[1]]
    kind, certainty = _classify(name)
    return Attribution(span, cue, name, kind, round(base * max(certainty, 0.8), 3))


def _sourceless(start: int, end: int, confidence: float) -> Attribution:
    return Attribution(None, (start, end), None, ANONYMOUS, round(confidence, 3))


def _inside_quote(text: str, position: int) -> bool:
    """Inside a quotation opened in this sentence. A closing mark met outside one means the
    sentence began inside a quotation (continued from the sentence before): it closes that one."""
    inside = False
    for mark in _QUOTE_MARK_RE.finditer(text, 0, position):
        character, at = mark.group(), mark.start()
        if character == "“":
            inside = True
        elif character == "”":
            inside = False
        else:  # a straight quote opens after a space or a bracket and before a word
            before = text[at - 1] if at else " "
            after = text[at + 1] if at + 1 < len(text) else " "
            opening = (before.isspace() or before in "([{—–-:") and not after.isspace()
            inside = opening if not inside else False
    return inside


_QUOTE_MARK_RE = re.compile(r"[“”\"]")


def _next_to_quote(text: str, start: int, end: int) -> bool:
    return bool(_QUOTE_BEFORE_RE.search(text, 0, start) or _QUOTE_AFTER_RE.match(text, end))


def _is_proper(text: str, span: tuple[int, int]) -> bool:
    """A capitalised name ("Gazeta Prawna", "Rudaw")."""
    words = text[span[0] : span[1]].split()
    return bool(words) and all(word[0].isupper() or word in ("of", "for", "and") for word in words)


def _nested_source(text: str, span: tuple[int, int] | None) -> tuple[int, int] | None:
    """ "according to a tweet on Monday by US Secretary of State Mike Pompeo": the author, not the tweet."""
    if span is None:
        return None
    head = _bare(text[span[0] : span[1]].split()[-1])
    if head not in _VEHICLE_HEADS:
        return span
    agent = _BY_AHEAD_RE.match(text, span[1])
    if agent is None:
        return span
    return _noun_phrase_after(text, agent.end()) or span


def _by_agent(text: str, position: int) -> tuple[int, int] | None:
    """The agent of a passive cue: "was identified as X by a Coast Guard spokesperson"."""
    agent = _BY_AHEAD_RE.match(text, position)
    if agent is None:
        return None
    span = _noun_phrase_after(text, agent.end())
    if span is None or _classify(text[span[0] : span[1]])[1] < 0.8:
        return None
    return span


def _colon_candidate(text: str, colon: int, quote_factor: float) -> Attribution | None:
    """ "Trump's statement read: “…”": the clause before a colon that opens a quotation."""
    clause_start = max(text.rfind(";", 0, colon), text.rfind("”", 0, colon), text.rfind('"', 0, colon)) + 1
    span = _main_subject(text, colon, clause_start)
    if span is None:
        return None
    verb = _trim(text, span[1], colon)
    if verb is None or len(text[verb[0] : verb[1]].split()) > 6:
        first = _TOKEN_RE.match(text, _SPACES_RE.match(text, span[1]).end())
        if first is None:
            return None
        verb = first.span()
    kind, certainty = _classify(text[span[0] : span[1]])
    return Attribution(span, verb, text[span[0] : span[1]], kind, round(0.6 * certainty * quote_factor, 3))


def _participle_subject(text: str, participle: int) -> tuple[int, int] | None:
    """Whose participle: "with officials saying" -> officials; ", saying" -> the main clause's subject."""
    left = text[:participle].rstrip()
    with_np = _WITH_NP_RE.search(left)
    if with_np:
        span = _trim(text, with_np.start("np"), with_np.end("np"))
        if span is not None and _is_subject(text[span[0] : span[1]]):
            return span
    if not left.endswith(",") and not left.endswith(" by"):
        return None
    return _main_subject(text, len(left))


def _main_subject(text: str, before: int, start: int = 0) -> tuple[int, int] | None:
    """The subject of the first clause of text[start:before], after leading adverbials ("On Monday, …")."""
    position = start
    # Skip opening adverbials and participle phrases that end with a comma: "In his victory speech, ".
    while True:
        comma = text.find(",", position, before)
        if comma < 0:
            break
        opener = text[position:comma].strip()
        first = opener.split(None, 1)[0].lower() if opener else ""
        # a participle phrase has no finite verb of its own: "Speaking on TV," (but not "Boeing did …,")
        participle = first.endswith("ing") and not any(w.lower() in _CLAUSE_WORDS for w in opener.split()[1:])
        if first in _OPENING_PREPOSITIONS or participle or first in _OPENING_ADVERBS or _TIME_ONLY_RE.match(opener):
            position = comma + 1
            continue
        break
    end = None
    tokens = list(_TOKEN_RE.finditer(text, position, before))
    for index, token in enumerate(tokens):
        word = token.group()
        lower = word.lower()
        if index == 0:
            continue
        if "," in text[tokens[index - 1].end() : token.start()]:
            end = tokens[index - 1].end()  # "The rebel offensive, primarily driven by …": the head before the comma
            break
        if lower in _CLAUSE_WORDS or lower in _CUE_WORDS or lower in _MAIN_VERB_STOP:
            end = token.start()
            break
        if word[0].islower() and _is_verb_form(lower, word) and lower not in _ADJECTIVES_ED_ING:
            end = token.start()
            break
        if (
            word[0].islower()
            and lower.endswith("s")
            and not lower.endswith(("'s", "’s"))
            and tokens[index - 1].group()[0].isupper()
            and tokens[index - 1].group().lower() not in _DETERMINERS
            and lower not in _PLURAL_HEADS
        ):
            end = token.start()  # "Tesco continues"
            break
    if end is None:
        return None
    span = _trim(text, position, end)
    if span is None:
        return None
    conjunction = _LEADING_CONJUNCTION_RE.match(text, span[0], span[1])
    if conjunction:
        span = _trim(text, conjunction.end(), span[1])
    if span is None or not _is_subject(text[span[0] : span[1]]):
        return None
    return span


def _subject_before(text: str, end: int) -> tuple[int, int] | None:
    """The noun phrase that ends at `end` and starts at the nearest clause boundary."""
    starts = [0]
    for boundary in _BOUNDARY_RE.finditer(text, 0, end):
        if _in_abbreviation(text, boundary.start()):
            continue
        starts.append(boundary.end())
    span = _subject_from(text, starts[-1], end)
    if (
        span is None
        and len(starts) > 1
        and text[starts[-1] - 5 : starts[-1]].lower().endswith(("who", "which", "whom"))
    ):
        # "Residents who fled said": the phrase before a short relative clause.
        span = _subject_from(text, starts[-2], end)
    return span


def _in_abbreviation(text: str, position: int) -> bool:
    if text[position] == "(":
        return bool(_ABBREVIATION_RE.match(text, position))
    if text[position] == ")":
        opening = text.rfind("(", max(0, position - 17), position)
        return (
            opening >= 0
            and bool(_ABBREVIATION_RE.match(text, opening))
            and _ABBREVIATION_RE.match(text, opening).end() == position + 1
        )
    return False


def _subject_from(text: str, start: int, end: int) -> tuple[int, int] | None:
    span = _trim(text, start, end)
    if span is None:
        return None
    conjunction = _LEADING_CONJUNCTION_RE.match(text, span[0], span[1])
    if conjunction:
        span = _trim(text, conjunction.end(), span[1])
    time = _LEADING_TIME_RE.match(text, span[0], span[1]) if span is not None else None
    if time and time.end() < span[1]:
        span = _trim(text, time.end(), span[1])  # "This Thursday the commission criticized …"
    if span is None or _is_subject(text[span[0] : span[1]]):
        return span
    relative = _RELATIVE_RE.search(text, span[0], span[1])
    if relative and len(text[relative.end() : span[1]].split()) <= 8:
        head = _trim(text, span[0], relative.start())
        if head is not None and _is_subject(text[head[0] : head[1]]):
            return head
    # "Greek prime minister Kyriakos Mitsotakis speaking to the Atlantic Council called": cut the participle.
    for token in _TOKEN_RE.finditer(text, span[0], span[1]):
        word = token.group()
        lower = word.lower()
        if (
            token.start() > span[0]
            and _is_verb_form(lower, word)
            and (lower.endswith("ing") or lower in _REDUCED_RELATIVE)
        ):
            head = _trim(text, span[0], token.start())
            if head is not None and _is_subject(text[head[0] : head[1]]):
                return head
            break
    # "In a statement the ministry said": skip an opening prepositional phrase without a comma.
    if text[span[0] : span[1]].split(None, 1)[0].lower() in _OPENING_PREPOSITIONS:
        determiners = list(_DETERMINER_START_RE.finditer(text, span[0] + 1, span[1]))
        if determiners:
            head = _trim(text, determiners[-1].start(), span[1])
            if head is not None and _is_subject(text[head[0] : head[1]]):
                return head
        # "For several days Iran denied …": the name that ends the phrase
        name = _trailing_name(text, span[1])
        if name is not None and name[0] > span[0] and _is_subject(text[name[0] : name[1]]):
            return name
    return None


_NAME_OF_RE = re.compile(r"\s+(?:of|from|at)\s+(?:the|a|an)\s")


def _name_only(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """A person's or body's name without the organisation after it ("Arnel dela Vega of the army's
    Western Mindanao Command" -> "Arnel dela Vega"); a role keeps it ("the head of the police")."""
    cut = _NAME_OF_RE.search(text, span[0], span[1])
    if cut is None:
        return span
    words = text[span[0] : cut.start()].split()
    if len(words) >= 2 and all(_is_name_word(word) for word in words) and _classify(" ".join(words))[0] == PERSON:
        return (span[0], cut.start())
    return span


def _trailing_name(text: str, end: int) -> tuple[int, int] | None:
    """The capitalised name (titles included) that ends at `end`: "… the home of Prime Minister Tuilaepa"."""
    run = _NAME_RUN_RE.search(text, 0, end)
    if run is None:
        return None
    span = _trim(text, run.start(), end)
    return span if span is not None and _classify(text[span[0] : span[1]])[1] >= 0.8 else None


def _subject_before_appositive(text: str, comma: int) -> tuple[int, int] | None:
    """The subject before an appositive: "The White Helmets, an opposition rescue service, affirmed";
    a name in apposition to a role is the source itself ("Merkel's spokesperson, Steffen Seibert, said")."""
    previous = text.rfind(",", 0, comma)
    if previous < 0:
        return None
    appositive = text[previous + 1 : comma]
    if not _is_appositive(appositive):
        return None
    head = _subject_before(text, previous)
    name = _trim(text, previous + 1, comma)
    if head is not None and name is not None:
        head_words = text[head[0] : head[1]].split()
        name_words = text[name[0] : name[1]].split()
        role = (
            any(_bare(w) in _SPEAKER_HEADS or _bare(w) in _ROLE_WORDS or _bare(w) in _ANON_HEADS for w in head_words)
            or head_words[-1].lower().endswith(("’s", "'s"))
            or all(w[0].islower() for w in head_words[1:])  # "One news site, Znak.com, claims"
        )
        proper = _is_name_shape(name_words) or (len(name_words) == 1 and name_words[0][0].isupper())
        if role and proper:
            return name
    return head


def _inverted_subject(text: str, cue_end: int) -> tuple[int, int] | None:
    """The inverted subject after the cue, ending the clause: "…,” said Gen. Jones." or "…," said Ryan
    Cloutier of the Harvard–Smithsonian Center, who …"."""
    span = _noun_phrase_after(text, cue_end, max_tokens=8)
    if span is None:
        return None
    # A name followed by its organisation: the span is the name ("Ryan Cloutier of the … Center").
    for token in _TOKEN_RE.finditer(text, span[0], span[1]):
        if token.start() > span[0] and token.group() in ("of", "from", "at", "for", "with") and text[span[0]].isupper():
            head = _trim(text, span[0], token.start())
            if head is not None:
                span = head
                break
    rest = text[span[1] :]
    clause_end = re.match(r"\s*(?:(?:of|from|at|for|with)\s+[^,;.!?]{1,80})?", rest)
    rest = rest[clause_end.end() :].lstrip() if clause_end else rest.lstrip()
    if rest and rest[0] not in ',.;!?“"' and not rest.startswith(("in ", "on ", "adding", "noting", "citing")):
        return None
    # "… said his father, Abdullah Kurdi, following …": a role followed by the person's name
    words = text[span[0] : span[1]].split()
    apposition = _APPOSITIVE_NAME_RE.match(text, span[1])
    if apposition and any(_bare(word) in _ROLE_WORDS or _bare(word) in _SPEAKER_HEADS for word in words):
        name = apposition.span("name")
        if _is_name_shape(text[name[0] : name[1]].split()):
            return name
    return span


_APPOSITIVE_NAME_RE = re.compile(r",\s*(?P<name>[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){1,3})\s*(?=[,.;]|$)")


def _noun_phrase_after(text: str, position: int, max_tokens: int = 9) -> tuple[int, int] | None:
    """The run of word tokens after `position`, cut at punctuation and clause words."""
    start = end = -1
    count = 0
    while count < max_tokens:
        position = _SPACES_RE.match(text, position).end()
        token = _TOKEN_RE.match(text, position)
        if token is None:
            break
        word = token.group()
        if word.lower() in _POST_STOP and count > 0:
            break
        if count > 0 and word in ("of", "from", "at") and text[start].isupper():
            following = _NEXT_WORD_RE.match(text, token.end())
            if following is not None and all(w[0].isupper() for w in text[start:end].split()):
                break  # "Graciano Mijares of the police": the name, not its organisation
        if start < 0:
            start = position
        end = position = token.end()
        count += 1
        abbreviation = _ABBREVIATION_RE.match(text, _SPACES_RE.match(text, end).end())
        if abbreviation:
            end = position = abbreviation.end()
    if start < 0:
        return None
    while count > 1 and text[start:end].rsplit(None, 1)[-1].lower() in _LAST_TOKEN_BAD:
        end = start + len(text[start:end].rsplit(None, 1)[0])
        count -= 1
    return _trim(text, start, end)


_LEAD_STRIP = set("\"“”‘’'([{-–—,;:.!?…*•")
_TRAIL_STRIP = set("\"“”‘’'([{)]}-–—,;:!?…*•")


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and (text[start].isspace() or text[start] in _LEAD_STRIP):
        start += 1
    while end > start and (
        text[end - 1].isspace()
        or (text[end - 1] in _TRAIL_STRIP and not _closes_bracket(text, start, end))
        or (text[end - 1] == "." and not (end >= 2 and text[end - 2].isupper()))
    ):
        end -= 1
    return (start, end) if start < end else None


def _closes_bracket(text: str, start: int, end: int) -> bool:
    """The span ends with ")" that closes a "(" inside it: "Deutsche Welle (DW)" keeps its bracket."""
    return text[end - 1] == ")" and text.count("(", start, end) > text.count(")", start, end - 1)


def _is_appositive(phrase: str) -> bool:
    tokens = phrase.split()
    if not 1 <= len(tokens) <= 15 or QUOTE_RE.search(phrase):
        return False
    lower = [token.strip("’'.,").lower() for token in tokens]
    if lower[0] in (
        "who",
        "which",
        "whose",
        "whom",
        "citing",
        "of",
        "from",
        "for",
        "at",
        "speaking",
        "quoting",
        "writing",
        "including",
    ):
        return True
    if any(token in _CLAUSE_WORDS for token in lower):
        return False
    # "a Toronto lawyer representing Spanton": a noun phrase with its own participle
    return lower[0] in ("a", "an", "the", "another") or not _has_verb_form(lower, tokens)


def _is_verb_form(token: str, original: str) -> bool:
    """A lowercase "-ed"/"-ing" word that is not a known adjective: likely a verb."""
    return (
        original[0].islower()
        and "-" not in token
        and (token.endswith("ed") or token.endswith("ing"))
        and len(token) > 4
        and token not in _ADJECTIVES_ED_ING
    )


def _has_verb_form(lower: list[str], tokens: list[str]) -> bool:
    """A verb form that makes a clause; "-ed" before a preposition is a reduced relative ("published in")."""
    for index, (token, original) in enumerate(zip(lower, tokens, strict=True)):
        if _is_verb_form(token, original):
            following = lower[index + 1] if index + 1 < len(lower) else ""
            if not (token.endswith("ed") and following in _PREPOSITIONS):
                return True
    return False


def _is_subject(phrase: str) -> bool:
    tokens = phrase.split()
    if not 1 <= len(tokens) <= 12:
        return False
    lower = [token.strip("’'.,").lower() for token in tokens]
    if len(lower) == 1 and lower[0] in _PRONOUN_KINDS:
        return True
    if any(
        token in _SAY or token in _STANCE or token in _MAIN_VERB_STOP
        for token, original in zip(lower[1:], tokens[1:], strict=True)
        if original[0].islower()
    ):
        return False  # "Netanyahu found the air strike" is a clause, not a name
    if lower[-1] in _LAST_TOKEN_BAD or lower[0] in _OPENING_PREPOSITIONS:
        return False
    # Acronyms are names, not clause words: "the WHO warned".
    if any(token in _CLAUSE_WORDS and not original.isupper() for token, original in zip(lower, tokens, strict=True)):
        return False
    if _has_verb_form(lower, tokens):
        return False
    content = [token for token in lower if token not in _DETERMINERS]
    if not content or not any(character.isalpha() for character in "".join(content)):
        return False
    if tokens[0][0].islower() and lower[0] not in _DETERMINERS:
        return _classify(phrase)[1] >= 0.9
    return True


# --- Kinds --------------------------------------------------------------------------------------
def _bare(word: str) -> str:
    word = word.lower().replace("’", "'").rstrip(".")
    return word[:-2] if word.endswith("'s") else word.rstrip("'")


def _classify(name: str) -> tuple[str, float]:
    """(kind, certainty): 1.0 when a lexicon decided, lower when only the shape of the name did."""
    words = _NAME_WORD_RE.findall(name)
    if not words:
        return ANONYMOUS, 0.5
    lower = [_bare(word) for word in words]
    if len(lower) == 1 and lower[0] in _PRONOUN_KINDS:
        return _PRONOUN_KINDS[lower[0]], 0.75
    cut = next(
        (
            i
            for i, word in enumerate(lower)
            if i > 0 and (word in _PREPOSITIONS or _is_verb_form(word, words[i]) and word.endswith("ed"))
        ),
        len(lower),
    )
    head = lower[cut - 1]
    joined = " " + " ".join(lower) + " "
    if head in ("reports", "rumours", "rumors"):
        return (MEDIA if _is_media(words, lower, joined) else REPORTS_KIND), 1.0
    if head in _DOC_HEADS:
        return DOCUMENT, 1.0
    if head in _SPEAKER_HEADS:
        after = words[cut + 1 :]
        if after:
            kind, certainty = _classify(" ".join(after))
            if certainty >= 0.9 and kind != ANONYMOUS:
                return kind, 1.0
        for word, original in zip(lower[: cut - 1], words[: cut - 1], strict=True):
            if word in _GENERIC_MODIFIERS:
                continue
            if word in _ORG_WORDS:
                return ORGANISATION, 1.0
            if word in _GOV_WORDS or word in _PLACES or original[0].isupper():
                return GOVERNMENT, 1.0
        return (DOCUMENT if head == "statement" else ANONYMOUS), 1.0
    if head in _ANON_HEADS:
        return ANONYMOUS, 1.0
    if _is_media(words, lower, joined):
        return MEDIA, 1.0
    if _is_titled_name(words):
        return PERSON, 1.0
    if any(word in _ORG_WORDS for word in lower) or any(f" {p} " in joined for p in _ORG_PHRASES):
        return ORGANISATION, 1.0
    if any(word in _GOV_WORDS for word in lower) or any(f" {p} " in joined for p in _GOV_PHRASES):
        return GOVERNMENT, 1.0
    content = [word for word in lower if word not in _DETERMINERS]
    if " ".join(content) in _PLACES or (len(content) > 1 and all(w in _PLACES or w == "and" for w in content)):
        return GOVERNMENT, 1.0
    if _is_name_shape(words):
        return PERSON, 0.9
    if len(words) == 1 and words[0][0].isupper():
        return (ORGANISATION, 0.9) if words[0].isupper() and len(words[0]) > 1 else (PERSON, 0.8)
    return ANONYMOUS, 0.6


def _is_media(words: list[str], lower: list[str], joined: str) -> bool:
    if "AP" in words or any(word in _MEDIA_WORDS for word in lower):
        return True
    if any(_WEBSITE_RE.search(word) for word in words):
        return True  # "Znak.com", "Portfolio.hu"
    return any(f" {phrase} " in joined for phrase in _MEDIA_PHRASES)


def _is_name_word(word: str) -> bool:
    return word[0].isupper() or word.lower() in _PARTICLES or bool(_PARTICLE_RE.match(word))


def _is_titled_name(words: list[str]) -> bool:
    title = max((i for i, word in enumerate(words) if word in _TITLES), default=-1)
    following = words[title + 1 :]
    return title >= 0 and 1 <= len(following) <= 4 and following[0][0].isupper() and all(map(_is_name_word, following))


def _is_name_shape(words: list[str]) -> bool:
    return (
        2 <= len(words) <= 4
        and words[0][0].isupper()
        and words[0].lower() not in _DETERMINERS
        and all(map(_is_name_word, words))
    )


# --- Labels and registry helpers ----------------------------------------------------------------
def _strip_dateline(text: str) -> str | None:
    """The sentence without a "BEIRUT (Reuters) -" dateline; None when the dateline is all there is."""
    dateline = DATELINE_RE.match(text)
    if dateline is None:
        return text
    rest = text[dateline.end() :]
    return rest if len(rest.split()) >= 6 else None


def _analysis_score(text: str) -> float:
    score = 0.0
    for match in ANALYSIS_RE.finditer(text):
        score += 1.0 if match.group("strong") else 0.5
    if STARTS_DEMONSTRATIVE_RE.match(text):
        score += 0.5
    return score


_WEBSITE_RE = re.compile(r"^[A-Z][\w-]*\.(?:com|org|net|info|news|co|uk|ru|hu|pl|de|fr|in|cn)$")
_NORMALIZE_RE = re.compile(r"[\W_]+")


def _normalize(name: str) -> str:
    normalized = _NORMALIZE_RE.sub(" ", name.casefold().replace("’s", "").replace("'s", "")).strip()
    return normalized[4:] if normalized.startswith("the ") else normalized


def normalize_source_name(name: str) -> str:
    """A source name as match_source compares it: casefolded, punctuation to spaces, no leading "the"."""
    return _normalize(name)
