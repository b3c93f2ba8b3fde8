"""The reporting-cue pattern and the contexts around a cue that confirm it ("that", a quotation, a
reported clause) or rule it out ("claimed responsibility", "called off", "was reported missing")."""

from __future__ import annotations

import re

from suggestions.attribution.lexicon import CUE_WORDS, trie_pattern

# "claimed responsibility", "claimed the lives of": acts, not statements.
ACT_OBJECT_RE = re.compile(
    r"\s+(?:(?:full\s+|sole\s+)?responsibility|credit|victory|the\s+(?:title|lives?|seat|throne|prize|crown)"
    r"|(?:a|an|his|her|their|its)\s+(?:\w+\s+)?(?:victory|win|seat|title|medal|prize|record|lives?))\b"
)


# "called off the strike", "called in the army": phrasal verbs, not statements.
CALLED_PARTICLE_RE = re.compile(r"\s+(?:off|up|in|out|back|it|an?\s+(?:election|vote|strike|halt|meeting|truce))\b")


CALLED_ON_RE = re.compile(r"\s+(?:on|for)\b")


INFINITIVE_AHEAD_RE = re.compile(r"(?:\s+[\w’'.-]+){1,8}?\s+(?:to|not\s+to|not)\s+[a-z]")


TOLD_OBJECT_RE = re.compile(
    r"\s+(?:reporters|journalists|the\s+(?:press|media|court|jury|public|BBC|[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*){0,3})"
    r"|[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*){0,3})(?=[\s,.:;\"“])"
)


# "abuse is reported to the Watch Tower Society": reported to an authority, not by a source
REPORTED_TO_RE = re.compile(r"\s+to\s+(?:the|a|an|his|her|their|its|[A-Z])")


# "no deaths were reported": the absence of a report is the outlet's own statement
NEGATED_SUBJECT_RE = re.compile(r"(?:^|[,;:]\s*|\b(?:and|but)\s+)(?:no|nothing|none)\b[^,;:]*$", re.IGNORECASE)


POSSESSIVE_BEFORE_RE = re.compile(r"\w(?:['’]s?|s['’])\s+$")


CUE_RE = re.compile(
    r"\b(?:(?P<according>[Aa]ccording\s+to|(?:(?<=^)|(?<=[,;]\s))[Pp]er(?=\s+(?:the|a|an|[A-Z])))|(?P<asby>as\s+reported\s+by)|(?P<citing>citing)"
    r"|(?P<quoted>quoted\s+as\s+saying)|(?P<pointed>pointed\s+out|went\s+on\s+to\s+(?:say|add|claim|note|explain|describe|call|warn|argue|insist|tell|cite"
    r"|criticise|criticize|praise|deny|accuse|mention|point|question|compare|suggest|predict|express)"
    r"|went\s+(?:so|as)\s+far\s+(?:as\s+)?(?:to\s+)?(?:say|claim|call|describe|suggest|accuse)"
    r"|(?:joined|echoed|renewed|repeated)\s+(?:the\s+|his\s+|her\s+|their\s+|its\s+)?(?:\w+\s+)?calls?"
    r"|took\s+to\s+(?:Twitter|Facebook|Instagram|social\s+media|the\s+airwaves|X)\s+to\s+(?:say|announce|write|"
    r"criticise|criticize|express|deny|claim|thank|apologi[sz]e|urge|call)"
    r"|spoke\s+(?:out\s+)?(?:against|of|about)|gave\s+(?:a|an|his|her|their|its)\s+(?:\w+\s+)?(?:account|testimony)"
    r"|(?:made|repeated|renewed)\s+(?:the|a|an|his|her|their|its|similar)\s+(?:\w+\s+)?(?:claims?|allegations?|"
    r"accusations?|assertions?|remarks?|comments?|pledges?|promises?|threats?|appeals?|pleas?)"
    r"|(?:raised|voiced)\s+(?:\w+\s+)?(?:concerns?|questions?|doubts?|fears?|alarm|objections?|criticism|opposition)"
    r"|cast\s+doubts?|hit\s+out|lashed\s+out"
    # "Officials put the death toll at 45": an estimate
    r"|(?:put|puts|placed|places)\s+the\s+(?:\w+\s+){0,3}?(?:toll|number|figure|cost|damage|total|count|estimate|value"
    r"|price|worth|loss|losses)s?(?=\s+(?:\w+\s+){0,4}?(?:at|in\s+the\s+(?:range|region|hundreds|thousands|tens)|between)\b))"
    r"|(?P<statement>(?:released|issued|published|posted|put\s+out|filed|sent|submitted|signed|wrote)\s+"
    r"(?:(?:a|an|its|their|his|her|the)\s+)?(?:\w+\s+)?(?:statements?|announcements?|messages?|posts?|tweets?|letters?"
    r"|motions?|lawsuits?|suits?|complaints?|petitions?|briefs?|filings?|press\s+releases?|stud(?:y|ies)|papers?"
    r"|reports?)"
    r"(?:\s+(?:which|that)\s+(?:read|reads|said|says|stated))?)"
    r"|(?P<asverb>(?:(?<=^)|(?<=[,;]\s))[Aa]s\s+(?:(?:was|were|has\s+been|had\s+been)\s+)?(?P<asword>reported|"
    r"revealed|disclosed|noted|stated|confirmed|announced|documented|shown|indicated|detailed|described|outlined|said|"
    r"told|testified|claimed|alleged|mentioned|explained|stipulated|specified)(?=\s+(?:by|in|at|on|during)\s))"
    r"|(?P<nounby>(?:estimates?|figures|statement|reports?|findings|account))(?=\s+by\s)"
    r"|(?<![\w-])(?P<word>" + trie_pattern(CUE_WORDS) + r"))\b"
    r"|(?P<colon>:\s*(?=[“\"]))"
)


# Auxiliaries, adverbs and time phrases between a subject and its verb.
# "in a statement", "at a news conference on Monday": where something was said.
VEHICLE_ASIDE = (
    r"(?:in|at|during|via|on|through)\s+(?:a|an|the|his|her|their|its)\s+(?:\w+\s+){0,2}?(?:statement|interview|"
    r"speech|tweet|post|letter|release|conference|briefing|address|broadcast|video|message|hearing|session|"
    r"meeting|summit|rally|announcement|report)(?:\s+on\s+\w+day)?"
)


TRAILING_AUX_RE = re.compile(
    r"(?:\s*,\s*"
    + VEHICLE_ASIDE
    + r"\s*,|\s+(?:has|have|had|also|previously|earlier|later|again|repeatedly|publicly|further|separately|"
    r"recently|then|now|yesterday|today|once|already|initially|first|officially|privately|subsequently|"
    r"consistently|openly|jointly|reportedly|allegedly|purportedly|since|still|too|there|here|even|never|"
    r"(?:did|does|do|has|have|had|would|could|will|can)(?:\s+not|n['’]t)|would|will|could|may|might|should|must|"
    # any adverb in -ly but the nouns and names in -ly ("the Hungarian daily said", "the family said")
    r"(?!(?:family|rally|ally|assembly|supply|reply|monopoly|anomaly|butterfly|daily|weekly|monthly|quarterly"
    r"|fly|bully|tally|homily|lily|belly|jelly|folly|italy|july)\b)[a-z]+ly|"
    r"on\s+\w+day|last\s+(?:week|month|year|night)|the\s+(?:next|following|same)\s+(?:day|week|morning|evening)|"
    + VEHICLE_ASIDE
    + r"|on\s+(?:Twitter|Facebook|Instagram|television)))+\s*$"
)


NEGATION_RE = re.compile(r"\bnot\b|n['’]t\b|\bnever\b")


HEDGE_ADVERB_RE = re.compile(r"\b(?:reportedly|allegedly|purportedly)\b")


# "Prime Minister Tuilaepa, who told the press": the antecedent is the source.
RELATIVE_END_RE = re.compile(r",?\s*\b(?:who|which)\s*$")


# "…, but said exports were continuing": a second verb of the first clause's subject.
COORDINATE_END_RE = re.compile(r"(?:,\s*|\s)(?:but|and|yet)(?:\s+(?:also|then|later|further))?\s*$")


ACT_FOLLOW_RE = re.compile(
    r"(?:\s+(?:on\s+\w+day|yesterday|today|last\s+(?:week|month|night)|earlier|later|in\s+a\s+statement"
    r"|(?:in|on|to|at|during)\s+[^,;:“”\"]{1,40}?))?"
    r"\s*(?:that\b|,?\s*[:“\"‘]|,?\s*(?:asking|urging|calling|demanding|requesting|saying|stating|warning|telling"
    r"|informing|explaining)\b)"
)


# A cue that ends the sentence after the reported content: "…, police revealed on Saturday."
FINAL_RE = re.compile(
    r"(?:\s+(?:on\s+\w+day|yesterday|today|last\s+\w+|earlier|later|in\s+a\s+statement"
    r"|on\s+(?:Twitter|Facebook|X|television|TV)))?\s*[.!?]?[”\"’]?\s*$"
)


# What a released statement is followed by when it is quoted or reported: ", in part, “…", ": …", "saying …".
STATEMENT_CONTENT_RE = re.compile(
    r"[\s,]*(?:in\s+part[\s,]*)?(?:[:“\"‘]|that\b|saying\b|stating\b|speaking\s+of\b|calling\b|claiming\b|alleging\b"
    r"|arguing\b|asserting\b|accusing\b|urging\b|demanding\b|warning\b|denying\b|confirming\b|explaining\b|noting\b"
    r"|documenting\b|showing\b|finding\b|revealing\b|detailing\b|describing\b|suggesting\b|indicating\b)"
)


DENIED_ACT_RE = re.compile(
    r"\s+(?:\w+\s+)?(?:funding|funds|access|entry|bail|permission|requests?|visas?|applications?|appeals?|approval"
    r"|licen[cs]es?|a\s+(?:request|visa|permit|licen[cs]e))\b"
)


# "rejected the allegations", "dismissed the claims as baseless": reporting; "rejected the bill" is an act.
SPEECH_OBJECT_RE = re.compile(
    r"\s+(?:(?:the|these|those|such|any|all|his|her|their|its|this|that|a|an)\s+)?(?:\w+\s+){0,2}?"
    r"(?:claims?|allegations?|accusations?|reports?|suggestions?|criticism|charges|idea|notion|assertions?"
    r"|statements?|comments?|remarks?|rumou?rs?|speculation|concerns?|calls?|accounts?|narrative|findings)\b"
    r"|\s+(?:that|as)\b"
)


# "announced the Department of Justice was investigating": a clause with its own subject (not the
# announcer: "he", "her government") and not the announcer's plan ("will", "would", "plans to").
THIRD_PARTY_CLAUSE_RE = re.compile(
    r"\s+(?!(?:that\s+)?(?:he|she|it|they|we|I|his|her|its|their|our|the\s+company|the\s+government)\b)"
    r"(?:that\s+)?(?:the\s+|a\s+|an\s+)?(?:(?!(?:which|who|whom|whose|that|to)\b)[\w’'.-]+\s+){0,10}?"
    r"(?:was|were|is|are|has|have|had)\s+"
    r"(?!(?:to|going|planning|set|due|scheduled|expected)\b)(?:been\s+)?[a-z]+(?:ed|ing|en)\b"
    r"|\s+(?:\w+\s+){0,5}?there\s+(?:is|are|was|were|had\s+been|have\s+been|has\s+been)\b"
)


AS_PREPOSITION_RE = re.compile(r"\s+(?:in|at|on|during)\s+")


# A quotation within a few words: "suggested people “think about” it".
QUOTE_SOON_RE = re.compile(r"(?:\s+[\w’'-]+){0,3}\s*[“\"]")


# A short inverted reporting clause between commas: ", reads the motion, ", ", said the minister, ".
PARENTHETICAL_INVERSION_RE = re.compile(r"\s+(?:(?:the|a|an|his|her|their|its)\s+)?[\w’'.-]+(?:\s+[\w’'.-]+){0,3}\s*,")


THAT_FOLLOW_RE = re.compile(r"\s+(?:that|he|she|they|it|we|I)\b|\s*[:“\"]")


# A reported clause after the cue: "revealed the company had lost", "added he would stay".
NOT_A_VERB = r"(?!(?:of|and|in|on|for|to|at|by|from|with|as)\b)"


# Irregular past tenses that make a reported clause: "claimed Joe Biden only won the elections".
IRREGULAR_PAST = (
    "(?:won|lost|made|took|came|went|got|gave|knew|saw|told|left|began|became|kept|held|ran|fell|rose|hit|led|paid"
    "|sent|spent|built|bought|sold|caught|fought|thought|brought|found|met|stood|wrote|drove|flew|grew|threw|shot"
    "|struck|fled|broke|chose|spoke|stole|meant|felt|dealt)"
)


CLAUSE_AHEAD_RE = re.compile(
    # "the purchase appeared …": a determiner, one or two words (no preposition), a verb in -ed/-s
    r"\s+(?:(?:the|a|an|this|that|its|his|her|their)(?:\s+"
    + NOT_A_VERB
    + r"[\w’'-]+){1,2}?\s+"
    + NOT_A_VERB
    + r"(?:[a-z]+ed\b|[a-z]+(?:es|ies|s)\b(?!\s+(?:of|to|for|in|and)\b))"
    # "claimed Spanton first complained …": a name, an adverb perhaps, a verb in -ed/-s
    + r"|[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){0,3}(?:\s+(?:first|also|then|later|only|still|never))?\s+"
    + NOT_A_VERB
    + r"(?:[a-z]+(?:ed|es|ies|s)|"
    + IRREGULAR_PAST
    + r")\b"
    # "added he would stay", "claimed 190 were dead": an auxiliary within a few words
    + r"|he|she|they|it|we|I|there|[\w’'.%-]+(?:\s+[\w’'.%-]+){0,8}?\s+(?:is|are|was|were|had|has|have|would|will"
    r"|could|can|did|does|should|must|might|may|remains?|remained|planned|plans|intends|wants|wanted|needed|needs))\b"
)


TO_RE = re.compile(r"\s+(?:not\s+)?to\b")


ADJECTIVE_BEFORE_RE = re.compile(
    r"\b(?:the|a|an|of|over|for|about|on|in|by|with|against|his|her|its|their|our|this|these|those|among|amongst"
    r"|amid|despite|after|following|before)\s+$",
    re.IGNORECASE,
)


ALLEGED_NOUN_RE = re.compile(r"\s+(?!that\b)[a-z]+\s+(?:to|of|in|with|between|by)\b")


BY_AHEAD_RE = re.compile(r"(?:\s+[^\s,;:]+){0,6}?\s+by\s+")


WITH_NP_RE = re.compile(r"\bwith\s+(?P<np>[^,;:“”\"]{1,60}?)\s*$")


BE_AUX_RE = re.compile(
    r"\b(?:is|are|was|were|be|been|being)(?:\s+(?:[a-z]+ly|also|now|not|later|since|first|then|still|soon"
    r"|on\s+\w+day|yesterday|today|earlier))*\s*$"
)


BE_OR_HAS_RE = re.compile(r"\s+(?:is|are|was|were|has\s+been|have\s+been|had\s+been)\s*$")


COMPLEMENT_FOLLOW_RE = re.compile(
    r"(?:\s+(?:on\s+\w+day|yesterday|today|last\s+(?:week|month|night)|earlier|later|in\s+a\s+statement))?"
    r"\s*(?:that\b|[:“\"‘,])|\s*[.!?]?[”\"’]?\s*$"
)


# "Rebels said to be advancing": a reduced passive, not the rebels speaking.
REDUCED_PASSIVE_RE = re.compile(r"\s+to\s+(?:be|have)\b")


NEXT_WORD_RE = re.compile(r"\s+([a-z]+)")


COUNT_AHEAD_RE = re.compile(
    r"\s+(?:(?:a|an|the|at\s+least|more\s+than|over|about|some|another)\s+)?[\d,.]+\b"
    r"|\s+(?:\w+\s+)?(?:dozens|hundreds|thousands)\b"
)
