"""Word lists behind the attribution finder: reporting cues by how they report, and the words that
make or end a noun phrase. Plain sets, looked up in lowercase."""

from __future__ import annotations

import re
from collections.abc import Iterable


def word_set(text: str) -> set[str]:
    return set(text.split())


def phrase_list(text: str) -> tuple[str, ...]:
    return tuple(phrase.strip() for phrase in text.split(","))


Trie = dict[str, "Trie"]


def trie_pattern(words: Iterable[str]) -> str:
    """One regex alternative for many words, shared prefixes merged: about 3x faster than "a|b|c" in `re`."""
    root: Trie = {}
    for word in words:
        node = root
        for character in word:
            node = node.setdefault(character, {})
        node[""] = {}

    def build(node: Trie) -> str:
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


# Finite reporting verbs: the source is the subject before them (or after them, when inverted).
SAY = word_set(
    "said says say told tells affirmed affirms claimed claim warned warns warn "
    "note confirmed confirms denied denies deny insisted insists insist argued argues argue alleged alleges "
    "explained explains acknowledged acknowledges admits asserted asserts assert "
    "testified accused accuses urged urges emphasised emphasized emphasises emphasizes cautioned "
    "conceded concedes countered replied contended contends commented tweeted reiterated reiterates reported "
    "estimated contend maintain stated stressed stresses observed remarked underlined recalled recounted "
    "vowed vows pledged pledges promised promises predicted speculated lamented complained complains boasted "
    "quipped joked assured retorted answered disputed quoted allege insist deny acknowledge admit confirm "
    "accuse urge maintains contend estimate estimates predict documented cited cites cite clarified "
    # verbs of saying in general use: manner of speaking, reasoning, reassuring, apologising
    "reaffirmed reaffirms exclaimed shouted yelled screamed whispered muttered theorised theorized hypothesised "
    "hypothesized reasoned surmised reassured reassures reminded bragged explain tell"
)


# Plain verbs of saying: whoever is their subject is speaking.
SPEECH = word_set("said says told tells added adds stated states wrote writes tweeted explained explains")


# Stances taken towards something ("denounced the conclusions", "called the move a smash and grab"):
# reporting cues with a noun phrase object too, but less surely than a verb of saying.
STANCE = word_set(
    "denounced denounces criticised criticized criticises criticizes condemned condemns blamed blames justified "
    "defended defends praised praises hailed hails decried decries lauded questioned described describes called "
    "calls labelled labeled termed dubbed branded demanded demands characterised characterized characterises "
    "characterizes expressed referred seconded seconds thanked thanks slammed slams blasted lambasted rebuked "
    "chided deplored deplores commended congratulated"
)


# Stances that are also everyday acts ("welcomed the decision" / "welcomed 3,000 visitors",
# "threatened to resign" / "threatened the town"): weaker still, the label model weighs them.
SOFT_STANCE = word_set("welcomed welcomes applauded applauds threatened threatens rejected rejects dismissed")


# Acts that make the news themselves ("announced three days of mourning", "declared a state of
# emergency") and verbs with common non-reporting senses ("added 500 jobs", "revealed a plaque"):
# reporting cues only before a reported clause ("that", a colon, a quotation, "he …", "the ship was …").
ACT = word_set(
    "announced announces declared declares revealed reveals disclosed discloses wrote writes informed "
    "feared fears fear hoped hopes signalled signaled hinted hints concluded concludes responded heard read reads "
    "recommended recommends proposed proposes implied implies detailed details "
    "outlined outlines elaborated summarised summarized relayed conveyed notified briefed"
)


# Revealing: a report with a noun phrase object too when the subject is an outlet or a document
# ("the newspaper revealed a deal", "the audit disclosed losses").
REVEAL = word_set("revealed reveals disclosed discloses detailed details outlined outlines")


# "announced she will comply" is the news itself; "announced that …" reports.
ANNOUNCE = word_set("announced announces declared declares")


# Announcing is making the news (dev-set convention): a report only before a quotation or a colon.
ANNOUNCE_QUOTED_ONLY = word_set("announced announces")


STRICT_COMPLEMENT = word_set("added adds noted notes states admitted posted maintained maintains")


COMPLEMENT = STRICT_COMPLEMENT | word_set("reports claims estimates predicts")


# Evidence verbs ("data show", "analysts suggest"): only with a subject the lexicon recognises, or
# before "that".
WEAK = word_set(
    "suggest suggests suggested indicate indicates indicated show shows showed found find finds believe "
    "believes predict attribute attributes attributed captured recorded list lists listed mentions mention "
    "mentioned instructs instruct stipulates stipulate specifies specify registered counted forecast forecasts "
    "projected projects "
    "expect expects expected anticipate anticipates anticipated highlighted highlights"
)


# Evidence verbs whose subject must be a recording or document ("CCTV captured their arrival").
RECORDING = word_set(
    "captured recorded list lists listed mentions mention mentioned instructs instruct stipulates stipulate "
    "specifies specify registered counted"
)


# Requests: reporting cues when an infinitive follows ("invited the countries to open dialogue").
REQUEST = word_set("asked asks invited invites advised advises begged implored encouraged encourages")


# Only next to a quotation ("“Overall,” he continued, “…").
QUOTE_ONLY = word_set("continued continues")


# Participles continue a clause whose subject came earlier ("…, saying …"; "with officials saying").
PARTICIPLE = word_set(
    "noting saying adding claiming stating warning insisting arguing alleging asserting declaring explaining "
    "calling describing writing blaming accusing urging reporting telling announcing confirming denying stressing "
    "suggesting predicting acknowledging admitting conceding emphasising emphasizing questioning criticising "
    "criticizing condemning denouncing praising thanking vowing pledging promising complaining recalling "
    "expressing demanding estimating revealing arguing explaining maintaining reiterating documenting detailing"
)


# Cues that allow subject inversion after a quote or a comma ("…,” said Gen. Jones.").
INVERTIBLE = word_set(
    "said says added noted wrote explained stated warned insisted declared argued told replied continued "
    "asked remarked observed commented recalled stressed confirmed claimed tweeted insisted cautioned responded "
    "countered recalled tweeted read reads says adds notes explains writes states argues insists warns recalls "
    "concluded exclaimed shouted posted alleged admitted conceded acknowledged agreed wondered joked quipped boasted "
    "lamented complained predicted promised pledged vowed urged suggested reported reports claims continues "
    "testified reiterated emphasised emphasized"
)


# "X was reported …", "it is believed …": sourceless unless followed by "by <source>".
PASSIVE_OK = word_set(
    "reported said believed thought alleged claimed understood rumoured rumored estimated identified described "
    "told quoted"
)


ADVERB_CONFIDENCE = {
    "reportedly": 0.6,
    "Reportedly": 0.6,
    "allegedly": 0.5,
    "Allegedly": 0.5,
    "purportedly": 0.45,
}


# Passives that report only with their agent: "was identified as X by a Coast Guard spokesperson".
AGENT_NEEDED = word_set("identified described told quoted")


# Only as passives: "it is understood", "X is believed to".
PASSIVE_ONLY = word_set("believed thought understood rumoured rumored identified")


# Plural nouns that double as verbs: in "media reports said" and "claims of victory" they are nouns.
NOUN_FORMS = word_set("reports claims estimates notes states calls demands questions comments")


NOUN_FOLLOWERS = word_set(
    "of about by from on in for over were are have had could would may might will can should must include "
    "included includes"
)


CUE_WORDS = (
    SAY
    | STANCE
    | SOFT_STANCE
    | ACT
    | COMPLEMENT
    | WEAK
    | REQUEST
    | QUOTE_ONLY
    | PARTICIPLE
    | PASSIVE_ONLY
    | set(ADVERB_CONFIDENCE)
)


DETERMINERS = word_set(
    "the a an its their his her our my your some many several both all most few other another each every "
    "various one two three four five six seven eight nine ten dozens hundreds"
)


# A token of these turns a candidate subject into a clause: no source there.
CLAUSE_WORDS = word_set(
    "is are was were be been being am has have had will would can could should may might must shall do does "
    "did not there here this these those that which who whom whose what when where why how if because "
    "although while than"
)


ADJECTIVES_ED_ING = word_set(
    "armed united based backed led allied related unnamed named detained retired exiled elected trained "
    "concerned informed unidentified appointed sanctioned designated leading ruling governing opposing "
    "fighting neighbouring neighboring visiting outgoing incoming acting striking surviving remaining existing "
    "missing injured wounded married disabled displaced organised organized "
    # nouns in -ing
    "filing meeting hearing briefing funding ruling warning training spending housing bombing shooting wedding "
    "morning evening ceiling offering opening ending setting building beginning feeling something nothing "
    "anything everything sibling landing uprising reading painting recording standing polling sentencing reporting "
    "bombing shelling fighting"
)


PREPOSITIONS = word_set("of for from by at in on with close to within inside")


POST_STOP = CLAUSE_WORDS | word_set(
    "that in on during after before as adding noting saying citing late early earlier later last yesterday "
    "today and but while"
)


LAST_TOKEN_BAD = word_set("and or but of for in on at by with from to the a an")


# Participles that open a reduced relative clause after a noun ("a report published on Tuesday found").
REDUCED_RELATIVE = word_set(
    "published released issued quoted cited posted obtained conducted commissioned compiled funded seen carried "
    "broadcast aired filed submitted presented"
)


OPENING_PREPOSITIONS = PREPOSITIONS | word_set(
    "during after before amid despite without over under since until as across near following"
)


COORDINATE_OK = word_set("said says told added stated noted claimed warned insisted argued wrote tweeted")


# What carries a statement, whose author is the source: "a tweet on Monday by X".
VEHICLE_HEADS = word_set("tweet post statement message letter interview release report video speech remarks")


OPENING_ADVERBS = word_set(
    "however meanwhile yesterday today earlier later separately additionally also instead nevertheless currently "
    "subsequently meanwhile overall recently afterwards then still"
)


# Irregular past forms that end a subject noun phrase ("Pompeo posted …" is caught by "-ed").
MAIN_VERB_STOP = word_set(
    "made gave took met went came spoke wrote saw held left sent put set read began became brought got led "
    "won lost ran fell rose hit struck sought thought kept paid found"
)


def is_verb_form(token: str, original: str) -> bool:
    """A lowercase "-ed"/"-ing" word that is not a known adjective: likely a verb."""
    return (
        original[0].islower()
        and "-" not in token
        and (token.endswith("ed") or token.endswith("ing"))
        and len(token) > 4
        and token not in ADJECTIVES_ED_ING
    )


# Tallies an authority keeps: "Health authorities recorded 12 new cases".
TALLY = frozenset(("recorded", "registered", "listed", "counted"))


PRONOUN_SUBJECTS = frozenset(("he", "she", "they", "we", "i"))


# Whoever these find, they report a finding: "the researchers found significant quantities of virus".
RESEARCHERS = frozenset(
    [
        "researchers",
        "scientists",
        "investigators",
        "inspectors",
        "experts",
        "analysts",
        "auditors",
        "authors",
        "team",
        "study",
        "scholars",
        "economists",
        "doctors",
    ]
)


# Noun cues ("a statement by X", "estimates by"): part of an adjunct, not a clause's verb.
NOUN_CUES = frozenset(("estimate", "estimates", "figures", "statement", "report", "reports", "findings", "account"))
