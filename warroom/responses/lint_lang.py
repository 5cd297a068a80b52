"""The honesty lint's phrase tables, one per language (en, nl, fr, de, es).

Data, not logic: ``lint.lint`` applies the same rules with whichever tables
``tables_for`` picks. Every pattern names a way of answering (blaming the
customer, pointing elsewhere, apologising for feelings, hiding critics),
never a brand, product or incident, so the tables hold for any brand; the
labelled replies in tests/data/lint_replies.jsonl measure them.

Language choice (``tables_for(lang, text)``): what counts is the reply's
language. The mention's ``lang`` (an ISO 639-1 code such as ``fr`` or
``fr-BE``) is a good proxy, and the reply's own words are checked too with a
cheap stop-word count (``guess``), since a volunteer may answer a German
mention in French; English always applies, as volunteers often answer in
English whatever the mention's language. So the tables are ``lang``'s, the
guessed language's and English; when neither ``lang`` nor the guess names a
language with a table, every table applies. Cross-language matches are rare
because each pattern is anchored on its language's own function words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _rx(*patterns: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


A = "['’]"  # straight or typographic apostrophe


def _near(verbs: str, objects: str, passive: str = "", gap: int = 4, stem: bool = True) -> str:
    """A hiding verb and a critic's content in one clause, in either order
    (Dutch and German put the verb last), at most ``gap`` words apart;
    ``stem``: the verbs are stems that take any ending."""
    words = rf"(?:[\w'’-]+\s+){{0,{gap}}}?"
    end = r"\w*" if stem else ""
    either = [rf"\b(?:{verbs}){end}\s+{words}(?:{objects})\b",
              rf"\b(?:{objects})\s+{words}(?:{passive or verbs}){end}\b"]
    return "|".join(f"(?:{p})" for p in either)


@dataclass(frozen=True)
class Table:
    lang: str
    defensive: re.Pattern  # blaming the customer or denying responsibility
    redirect: re.Pattern  # sending the customer somewhere else ...
    owns: re.Pattern  # ... which is fine when someone here takes it on
    non_apology: re.Pattern  # sorry for the feelings, not for the thing
    apology: re.Pattern  # any real apology (for an angry customer)
    next_step: re.Pattern  # a next step, a time, or a fix already done
    hide_critics: re.Pattern  # deleting, hiding or blocking critics
    unhide: re.Pattern  # ... except fake or scam accounts and spam
    negation: re.Pattern  # ... or a promise not to ("we never delete comments")


# A sentence about scams, impersonators or spam is about protecting customers,
# not silencing critics: removing a fake account is good practice.
_UNHIDE = {
    "en": r"\b(?:fake|scam\w*|spam\w*|phishing|impersonat\w*|bots?|fraud\w*)\b",
    "nl": r"\b(?:nep\w*|fake|oplicht\w*|spam\w*|phishing|fraud\w*|bots?)\b",
    "fr": r"\b(?:faux|fausses?|arnaque\w*|spam\w*|phishing|hameçonnage|usurp\w*|fraud\w*|bots?)\b",
    "de": r"\b(?:fake|gefälscht\w*|betrüg\w*|spam\w*|phishing|bots?)\b",
    "es": r"\b(?:falsa?s?|estafa\w*|spam\w*|phishing|suplant\w*|fraude\w*|bots?)\b",
}

EN = Table(
    "en",
    defensive=_rx(
        r"\bwe(?:'re| are)? not (?:responsible|to blame|at fault|liable)\b",
        r"\bwe (?:can ?not|can't) be held (?:responsible|liable)\b",
        r"\b(?:it|this) (?:is|was)(?:n't| not) our fault\b",
        r"\bnot our (?:fault|problem|responsibility)\b",
        r"\byou(?:'re| are) (?:mistaken|wrong|incorrect|confused)\b",
        r"\byou (?:must have|should have|should've|must've) (?:read|checked|known|booked|called)\b",
        # "as we said at 14:00, ..." refers to an earlier update; only the reproach is defensive
        r"\bas (?:we|i)(?: have|'ve)? (?:already (?:said|stated|explained)|(?:said|stated|explained)"
        r" (?:before|repeatedly|(?:many|several|multiple) times))\b",
        r"\bwe did nothing wrong\b",
        r"\b(?:are |is )?(?:unable|not able) to accept (?:any )?(?:responsibility|liability)\b",
        r"\bwe (?:can ?not|can't|do not|don't) (?:accept|take) (?:any )?(?:responsibility|liability)\b",
        r"\bthat(?:'s| is) (?:simply )?(?:not true|untrue|false)\b",
        # "it's not your fault" is a kind thing to say
        r"(?<!not )(?<!n't )\byour (?:own )?(?:fault|mistake|error)\b",
    ),
    redirect=_rx(
        r"\bwe have an? (?:cs|customer (?:service|care|support)|support|help ?desk|social media) team\b[^.!?]*",
        r"\bit (?:may|might|could) be worth (?:a|an) (?:tweet|call|email|e-mail|message|dm)\b",
        r"\b(?:please )?(?:contact|call|ring|email|e-mail|tweet|dm|message|reach out to|get in touch with)"
        r" (?:our|the) (?:cs|customer (?:service|care|support)|support|help ?desk|complaints?)"
        r"(?: team| department| line| desk)?\b",
        r"\byou(?:'ll| will)? (?:need|have) to (?:contact|call|ring|email|speak to|talk to)\b",
        r"\b(?:this|that) is not the right (?:place|channel|account)\b",
        r"\bwe (?:can ?not|can't) (?:help|deal with) (?:with )?(?:that|this) here\b",
    ),
    owns=_rx(
        r"\b(?:i|we)(?:'ll| will| am| are|'m|'re) (?:personally )?(?:look|follow|chase|check|fix|pass|sort|"
        r"call|contact|get|make|rebook|refund|update|come back|handle|take)",
        r"\b(?:i|we)(?:'ve| have) (?:also |just |already )?(?:passed|sent|forwarded|escalated|asked|booked|rebooked|"
        r"refunded|raised)",
        r"\blet me\b",
        r"\b(?:i|we)(?:'m| am|'re| are) on it\b",
    ),
    non_apology=_rx(
        r"\b(?:i'?m|i am|we'?re|we are) sorry (?:that )?you (?:feel|think|believe|felt|thought|see it)\b",
        r"\bsorry if (?:you|anyone|this|that|we|i)\b", r"\bsorry for any\b",
        r"\bsorry you(?:'re| are) (?:upset|unhappy|disappointed|offended|frustrated)\b",
        r"\b(?:we |i )?apologi[sz]e (?:for any|if)\b",
        r"\bregret that you (?:feel|think)\b",
        r"\bfor any inconvenience(?: (?:this|that) may have|(?: this| that)? (?:may have )?caused)?\b",
    ),
    apology=_rx(r"\bsorry\b", r"\bapologi[sz]", r"\bour (?:fault|mistake)\b", r"\bwe got (?:this|it) wrong\b",
                r"\b(?:that|this|it)(?:'s| is| was) on us\b", r"\bwe (?:messed up|let you down)\b", r"\bour bad\b"),
    next_step=_rx(
        r"\b(?:i|we)(?:'ll| will| shall)\b(?! not\b| never\b)",  # "we will not ..." is no next step
        r"\b(?:i|we)(?:'re| are|'m| am) (?:going to|about to)\b",
        r"\bby (?:the end of |end of )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|next week)\b",
        r"\byou(?:'ll| will) (?:hear|get|receive)\b",
        r"\b(?:next|further|an?) update\b",
        r"\bupdate (?:you|this|everyone)\b",
        r"\bby \d{1,2}(?::\d{2})?\b",
        r"\b\d{1,2}(?::\d{2})? ?(?:am|pm)\b",
        r"\b\d{1,2}:\d{2}\b",
        r"\bwithin (?:the (?:next|hour)|\d+|an? |the hour)",
        r"\bin (?:\d+|a few|an?) (?:min|minute|minutes|hour|hours)\b",
        r"\b(?:today|tonight|tomorrow|this (?:morning|afternoon|evening))\b",
        r"\b(?:dm|direct message|message) (?:us|me)\b",
        r"\b(?:follow|check) (?:up|back)\b",
        r"https?://\S+",
        # a fix already made is the next step done (the humorous "fixed it, sorry!" reply)
        r"\b(?:i|we)(?:'ve| have) (?:just )?(?:fixed|sorted|refunded|rebooked|restored|replaced|credited|"
        r"renamed|changed|booked|sent|added|reopened|removed the charge)\b",
        r"\b(?:is|are|'s|has been|have been) (?:now )?(?:fixed|sorted|resolved|restored|back (?:up|on|online)|"
        r"on (?:its|their|the) way|live|released)\b",
    ),
    hide_critics=_rx(
        _near(r"delet(?:e|es|ed|ing)|remov(?:e|es|ed|ing)|hid(?:e|es|ing|den)|block(?:s|ed|ing)?|"
              r"ban(?:s|ned|ning)?|mut(?:e|es|ed|ing)|censor(?:s|ed|ing)?",
              # posts, tweets and messages may be our own ("we deleted the tweet, sorry"):
              # only a critic's are hiding
              r"comments?|reviews?|critics|replies|users|negativity|(?:your|their|these|those|negative|critical|"
              r"abusive|offensive|rude|hostile|angry)\s+(?:posts?|tweets?|messages?|accounts?)",
              r"deleted|removed|hidden|blocked|banned|muted|censored", gap=3, stem=False),
    ),
    unhide=_rx(_UNHIDE["en"]),
    negation=_rx(r"\b(?:never|not|don't|won't|do not|will not|no)\b"),
)

NL = Table(
    "nl",
    defensive=_rx(
        r"\b(?:we|wij) zijn (?:hier )?niet (?:verantwoordelijk|aansprakelijk|schuldig)\b",
        r"\b(?:we|wij) kunnen (?:hier )?niet aansprakelijk (?:worden )?gesteld\b",
        r"\b(?:het|dit|dat) is niet onze (?:schuld|fout|verantwoordelijkheid)\b",
        r"(?<!niet )\b(?:uw|jouw|je) (?:eigen )?(?:schuld|fout)\b",
        r"\b(?:u vergist zich|je vergist je|u heeft ongelijk|je hebt ongelijk|u heeft het mis|je hebt het mis)\b",
        r"\b(?:u|je) (?:had|hebt|heeft) (?:dat |dit |het )?(?:beter )?(?:moeten )?(?:lezen|controleren|checken|weten)"
        r"(?: moeten)?\b",
        r"\bzoals (?:we|wij|ik) (?:al (?:eerder )?|eerder al |meermaals )(?:zeiden|hebben gezegd|heb gezegd|"
        r"uitlegden|hebben uitgelegd|aangaven)\b",
        r"\bdat is (?:gewoon |simpelweg )?niet waar\b",
        r"\bwe hebben niets (?:fout|verkeerd) gedaan\b",
        r"\b(?:we|wij) kunnen (?:hier|daar|er) (?:helaas )?niets aan doen\b",
        r"\b(?:dit|dat|het) ligt (?:helaas )?bij de (?:vervoerder|leverancier|fabrikant|luchthaven|bank|bezorger|partner)\b",
    ),
    redirect=_rx(
        r"\bneem (?:dan |daarvoor |hiervoor )?(?:even )?contact op met (?:onze|de) (?:klantenservice|servicedesk|"
        r"klachtenafdeling|helpdesk)\b",
        r"\b(?:bel|mail|e-mail|app) (?:dan |even )?(?:met )?(?:onze|de) (?:klantenservice|servicedesk|helpdesk)\b",
        r"\b(?:u|je) (?:moet|dient|zult|zal) (?:daarvoor |hiervoor )?(?:contact opnemen|bellen|mailen)\b",
        r"\bcontact (?:op te )?(?:nemen|opnemen) met (?:onze|de) (?:klantenservice|servicedesk|helpdesk)\b",
        r"\b(?:dit|dat|twitter|facebook) is niet het juiste kanaal\b",
        r"\b(?:we|wij) kunnen (?:u|je) hier niet (?:mee )?helpen\b",
    ),
    owns=_rx(
        r"\b(?:ik|we|wij) (?:ga|gaan|zal|zullen) (?:dit |het |uw |je )?(?:\w+ ){0,3}?(?:uitzoeken|nakijken|"
        r"oplossen|regelen|terugbetalen|omboeken|doorsturen|navragen|bellen|opnemen)\b",
        r"\b(?:ik|we|wij) (?:zoek|zoeken|kijk|kijken|regel|regelen|pak|pakken) (?:dit|het|dat)\b",
        r"\b(?:ik|we|wij) (?:heb|hebben) (?:\w+ ){0,4}?(?:doorgestuurd|doorgegeven|geboekt|omgeboekt|"
        r"terugbetaald|geëscaleerd|gevraagd)\b",
        r"\blaat mij\b",
    ),
    non_apology=_rx(
        r"\bhet spijt (?:ons|me|mij) dat (?:u|je) (?:het |dit |dat )?(?:zo )?(?:denkt|vindt|voelt|ervaart|ziet)\b",
        r"\bsorry dat (?:u|je) (?:het |dit |dat )?(?:zo )?(?:denkt|vindt|ervaart|ziet)\b",
        r"\b(?:het spijt (?:ons|me|mij)|sorry|excuses|onze excuses) (?:als|indien|mocht)\b",
        r"\b(?:voor )?(?:het |de )?eventuele? (?:ongemak|ongemakken|overlast|hinder)\b",
        r"\bals (?:u|je) (?:zich|je) (?:gekwetst|beledigd) (?:voelt|heeft gevoeld)\b",
    ),
    apology=_rx(r"\bsorry\b", r"\bexcuses\b", r"\bhet spijt\b", r"\bverontschuldig", r"\bonze (?:fout|schuld)\b",
                r"\bwe hebben (?:het|dit) fout gedaan\b"),
    next_step=_rx(
        r"\b(?:ik|we|wij) (?:zal|zullen|ga|gaan|kom|komen|laat|laten|houd|houden|stuur|sturen|bel|bellen)\b",
        r"\b(?:u|je|jullie) (?:hoort|hoor|krijgt|krijg)\b",
        r"\b(?:volgende|nieuwe) update\b", r"\bupdate om\b",
        r"\b(?:om|voor|uiterlijk) \d{1,2}(?:[:.]\d{2})?(?: uur)?\b", r"\b\d{1,2}[:.]\d{2}\b",
        r"\b(?:vandaag|vanavond|morgen|vanmiddag|vanochtend)\b",
        r"\bbinnen (?:het|een|\d+) (?:uur|minuten|dagen|werkdagen)\b",
        r"\b(?:stuur|stuurt) (?:ons|me|mij) (?:even )?een (?:dm|pb|privébericht|bericht)\b", r"\bdm\b",
        r"\bop de hoogte\b", r"https?://\S+",
        r"\b(?:is|zijn|werd|werden) (?:inmiddels |nu )?(?:opgelost|hersteld|teruggestort|terugbetaald|omgeboekt)\b",
        r"\b(?:we|wij|ik) (?:heb|hebben) (?:\w+ ){0,3}?(?:opgelost|hersteld|teruggestort|terugbetaald|omgeboekt|"
        r"aangepast|verstuurd)\b",
    ),
    hide_critics=_rx(
        _near(r"verwijder|verberg|blokkeer|verban|censureer|wis(?=\s)|wissen",
              r"reacties|recensies|reviews|critici|opmerkingen|gebruikers|(?:uw|je|jouw|hun|deze|die|negatieve|"
              r"kritische)\s+(?:berichten|posts|tweets|reactie|bericht)",
              r"verwijderd|verborgen|geblokkeerd|verbannen|gecensureerd|gewist|verwijderen|verbergen|blokkeren"),
    ),
    unhide=_rx(_UNHIDE["nl"]),
    negation=_rx(r"\b(?:niet|nooit|geen)\b"),
)

FR = Table(
    "fr",
    defensive=_rx(
        r"\bnous ne sommes pas responsables?\b",
        r"\bnous ne (?:pouvons|saurions) (?:pas )?être tenus? (?:pour )?responsables?\b",
        rf"\bce n{A}est pas (?:de )?notre (?:faute|responsabilité|problème)\b",
        rf"\bc{A}est (?:de )?(?:votre|ta) (?:faute|erreur)\b",
        r"\b(?:vous vous trompez|tu te trompes|vous avez tort|tu as tort|vous faites erreur)\b",
        r"\b(?:vous auriez|tu aurais) dû (?:lire|vérifier|savoir|réserver|appeler|regarder)\b",
        rf"\bcomme (?:nous (?:vous )?l{A}avons|je (?:vous )?l{A}ai) déjà (?:dit|indiqué|expliqué|précisé)\b",
        rf"\b(?:c{A}est|cela est) (?:tout simplement |totalement )?faux\b",
        rf"\bnous n{A}avons rien fait de mal\b",
        r"\b(?:nous )?déclin(?:ons|e) toute responsabilité\b",
        r"\bnous ne pouvons (?:pas )?(?:accepter|assumer) (?:aucune|la) responsabilité\b",
    ),
    redirect=_rx(
        r"\b(?:veuillez |merci de |nous vous invitons à |je vous invite à )?(?:contacter|appeler|joindre|écrire à)"
        r" (?:notre|le) service (?:client|clients|clientèle|consommateurs|réclamations)\b",
        r"\b(?:contactez|appelez|joignez|écrivez à) (?:notre|le) service (?:client|clients|clientèle|consommateurs)\b",
        r"\bvous devez (?:contacter|appeler|écrire|vous adresser)\b",
        r"\b(?:vous )?(?:rapprocher|adresser) (?:de|à) (?:notre|votre) service (?:client|clients|clientèle)\b",
        rf"\b(?:ce|cela) n{A}est pas le bon (?:canal|endroit)\b",
        r"\bnous ne pouvons pas vous aider ici\b",
    ),
    owns=_rx(
        rf"\bje m{A}en (?:occupe|charge)\b", r"\bnous nous en (?:occupons|chargeons)\b",
        r"\b(?:je vais|nous allons) (?:\w+ ){0,2}?(?:vérifier|regarder|transmettre|relancer|rembourser|"
        r"rappeler|contacter|corriger|régler|traiter|suivre|voir)\b",
        rf"\b(?:j{A}ai|nous avons) (?:\w+ ){{0,2}}?(?:transmis|relancé|remboursé|réservé|escaladé|demandé)\b",
        r"\blaissez-moi\b",
    ),
    non_apology=_rx(
        rf"\b(?:(?:nous sommes|je suis) (?:désolée?s?|navrée?s?)|nous regrettons|je regrette) que vous (?:ressentiez|pensiez|ayez (?:eu )?"
        rf"(?:l{A}|cette )impression|le (?:preniez|voyiez|viviez|perceviez))\b",
        r"\b(?:désolée?s?|navrée?s?) si\b", r"\bnous nous excusons si\b",
        r"\b(?:la |toute )?(?:gêne|désagrément)s? (?:éventuel(?:le)?s?|que cela a(?:urait)? pu (?:vous )?causer)\b",
        r"\b(?:pour )?(?:tout désagrément|les éventuels désagréments|l['’]éventuelle gêne)\b",
    ),
    apology=_rx(r"\bdésolée?s?\b", r"\bnavrée?s?\b", r"\bexcus", r"\bpardon\b", r"\bnotre (?:faute|erreur)\b",
                r"\bnous nous sommes trompés\b", r"\bregrett"),
    next_step=_rx(
        r"\b(?:je vais|nous allons|on va)\b", r"\bnous \w{3,}rons\b", r"\bje \w{3,}rai\b",
        r"\bvous (?:tiendrons|tiens|recontacterons|rappellerons|aurez|recevrez)\b",
        r"\bprochaine? (?:mise à jour|point|information|communication)\b",
        r"\b(?:à|vers|avant) \d{1,2} ?h(?:\d{2})?\b", r"\b\d{1,2}h\d{2}\b", r"\b\d{1,2}:\d{2}\b",
        rf"\b(?:aujourd{A}hui|ce soir|demain|cet après-midi|dans la journée|dans la soirée)\b",
        rf"\bd{A}ici (?:\d+|une|la fin|ce soir|demain)\b", r"\bdans (?:\d+|une|quelques) (?:minutes?|heures?|jours?)\b",
        r"\b(?:en|par) (?:mp|message privé|dm)\b", r"https?://\S+",
        r"\b(?:est|sont|a été|ont été) (?:maintenant )?(?:réglée?s?|résolue?s?|corrigée?s?|rétablie?s?|remboursée?s?)\b",
        rf"\b(?:nous avons|j{A}ai) (?:\w+ ){{0,2}}?(?:corrigé|réglé|rétabli|remboursé|renommé|changé|envoyé)\b",
    ),
    hide_critics=_rx(
        _near(r"supprim|masqu|bloqu|bann|censur|effac",
              r"commentaires?|avis|critiques|détracteurs|utilisateurs|internautes|(?:vos|leurs|ces|les|tous les)\s+"
              r"(?:messages|publications|posts|tweets)|(?:messages|publications|posts)\s+(?:négatifs|critiques)",
              r"supprimée?s?|masquée?s?|bloquée?s?|bannie?s?|censurée?s?|effacée?s?"),
    ),
    unhide=_rx(_UNHIDE["fr"]),
    negation=_rx(r"\b(?:ne|n['’]|jamais|aucun\w*)"),
)

DE = Table(
    "de",
    defensive=_rx(
        r"\bwir sind (?:dafür |hierfür )?nicht (?:verantwortlich|schuld|haftbar|zuständig)\b",
        r"\bwir können (?:dafür )?nicht haftbar gemacht werden\b",
        r"\b(?:das|es|dies) ist nicht unsere schuld\b", r"\bnicht unser (?:fehler|problem)\b",
        r"\b(?:das|es) ist (?:ihre|deine) (?:eigene )?schuld\b", r"\bselbst schuld\b",
        r"\b(?:sie irren sich|du irrst dich|sie haben unrecht|du hast unrecht|da liegen sie falsch)\b",
        r"\b(?:sie|du) (?:hätten|hättest) (?:\w+ ){0,4}?(?:lesen|prüfen|wissen|nachsehen|buchen|anrufen) "
        r"(?:müssen|sollen)\b",
        r"\bwie (?:wir|ich) (?:ihnen |dir )?(?:bereits|schon) (?:mehrfach )?(?:gesagt|erklärt) (?:haben|habe)\b",
        r"\b(?:das|dies) (?:ist|stimmt) (?:so |einfach |schlicht )?(?:nicht wahr|falsch|nicht)\b[.!,]",
        r"\bwir haben nichts falsch gemacht\b",
        r"\bkeine (?:haftung|verantwortung) übernehmen\b", r"\b(?:übernehmen|tragen) wir keine (?:haftung|verantwortung)\b",
    ),
    redirect=_rx(
        r"\b(?:wenden sie sich|wende dich|melden sie sich|melde dich) (?:bitte )?(?:direkt )?(?:an|bei)"
        r" (?:unseren?|unserem|den|die|dem) (?:kundenservice|kundendienst|hotline|support|service-?team|"
        r"servicecenter|beschwerdestelle)\b",
        r"\b(?:kontaktieren sie|kontaktiere|rufen sie|ruf|schreiben sie|schreib) (?:bitte )?(?:an )?"
        r"(?:unseren?|den|die) (?:kundenservice|kundendienst|hotline|support)\b",
        r"\b(?:sie müssen|du musst) sich (?:bitte )?an\b",
        r"\b(?:nutzen sie|nutze|verwenden sie|verwende) (?:bitte )?(?:unser|das) (?:kontakt|beschwerde)formular\b",
        r"\b(?:das|dies|twitter|facebook) ist nicht der richtige (?:kanal|ort|weg)\b",
        r"\bwir können (?:ihnen|dir) hier nicht (?:weiter)?helfen\b",
    ),
    owns=_rx(
        r"\b(?:ich|wir) (?:kümmere mich|kümmern uns|schaue|schauen|prüfe|prüfen|kläre|klären|leite|leiten|"
        r"melde mich|melden uns|buche|buchen|erstatte|erstatten)\b",
        r"\b(?:ich habe|wir haben) (?:\w+ ){0,4}?(?:weitergeleitet|weitergegeben|umgebucht|erstattet|eskaliert|"
        r"gebucht)\b",
        r"\blassen sie mich\b",
    ),
    non_apology=_rx(
        r"\b(?:es )?tut (?:uns|mir) leid, (?:dass|wenn) (?:sie|du) (?:das |es )?(?:so )?(?:empfinden|empfindest|"
        r"sehen|siehst|denken|denkst|fühlen|fühlst)\b",
        r"\b(?:es )?tut (?:uns|mir) leid, (?:wenn|falls)\b", r"\bwir entschuldigen uns, (?:falls|wenn|sollten)\b",
        r"\bwir bedauern, dass (?:sie|du) (?:den eindruck|das so)\b",
        r"\bfür (?:eventuelle|etwaige|mögliche|jegliche) (?:unannehmlichkeiten|umstände)\b",
    ),
    apology=_rx(r"\bentschuldig", r"\btut (?:uns|mir) (?:sehr |wirklich )?leid\b", r"\bsorry\b", r"\bbedauern\b",
                r"\bunser fehler\b", r"\bunsere schuld\b", r"\bverzeihung\b"),
    next_step=_rx(
        r"\b(?:wir|ich) (?:werden|werde|melden uns|melde mich|informieren|halten|geben|schicken|rufen)\b",
        r"\b(?:nächstes?|nächsten|neues) (?:update|info|information|meldung)\b",
        r"\bum \d{1,2}(?:[:.]\d{2})? uhr\b", r"\b\d{1,2}[:.]\d{2}\b",
        r"\b(?:heute|(?<!guten )morgen|heute abend|heute nachmittag)\b", r"\bbis (?:heute|morgen|\d)",
        r"\binnerhalb (?:der nächsten|von|einer|eines)\b", r"\bin (?:\d+|wenigen|einer|einem) (?:minuten|stunden?|tagen?)\b",
        r"\b(?:per|als) (?:dm|direktnachricht|pn)\b", r"\bauf dem laufenden\b", r"https?://\S+",
        r"\b(?:ist|sind|wurde|wurden) (?:jetzt |inzwischen )?(?:behoben|erledigt|erstattet|umgebucht|wiederhergestellt)\b",
        r"\b(?:wir haben|ich habe) (?:\w+ ){0,3}?(?:behoben|erstattet|umgebucht|geändert|umbenannt|verschickt)\b",
    ),
    hide_critics=_rx(
        _near(r"lösch|entfern|verberg|versteck|blockier|sperr|zensier",
              r"kommentare|bewertungen|rezensionen|kritiker|nutzer|(?:ihre|deine|diese|negative|kritische)\s+"
              r"(?:beiträge|posts|tweets|nachrichten|kommentar|beitrag)",
              r"gelöscht|entfernt|verborgen|versteckt|blockiert|gesperrt|zensiert|löschen|entfernen|sperren|verbergen"),
    ),
    unhide=_rx(_UNHIDE["de"]),
    negation=_rx(r"\b(?:nicht|nie|niemals|keine\w*)\b"),
)

ES = Table(
    "es",
    defensive=_rx(
        r"\bno (?:somos|nos hacemos) responsables\b", r"\bno podemos (?:hacernos|ser) responsables\b",
        r"\bno (?:es|fue) (?:culpa )?nuestra(?: culpa)?\b", r"\bno es (?:nuestro|un) problema nuestro\b",
        r"(?<!no )\b(?:es|fue) (?:su|tu) (?:propia )?culpa\b",
        r"\b(?:usted se equivoca|te equivocas|está equivocad[oa]|estás equivocad[oa]|no tiene razón|no tienes razón)\b",
        r"\b(?:debería|deberías|tendría que|tendrías que) haber (?:leído|revisado|comprobado|sabido|llamado|mirado)\b",
        r"\bcomo ya (?:le |te |les |os )?(?:hemos|he) (?:dicho|explicado|indicado)\b",
        r"\b(?:eso|esto) (?:no es (?:cierto|verdad)|es falso)\b", r"\bno hemos hecho nada malo\b",
        r"\bno nos hacemos cargo\b", r"\bno (?:podemos )?(?:aceptar|asumir) (?:ninguna )?responsabilidad\b",
    ),
    redirect=_rx(
        r"\b(?:por favor,? )?(?:contacta|contacte|contactad|llama|llame|escribe|escriba|ponte en contacto|"
        r"póngase en contacto|dirígete|diríjase|acude|acuda) (?:a|con) (?:(?:nuestro|el|nuestra|la) )?(?:servicio de atención al cliente|"
        r"atención al cliente|servicio al cliente|soporte|departamento de)\b",
        r"\b(?:debe|debes|deberá|tendrá que|tienes que|tiene que) (?:contactar|llamar|escribir|ponerse en contacto|"
        r"ponerte en contacto)\b",
        r"\b(?:este|esto|twitter|facebook) no es el canal (?:adecuado|correcto)\b",
        r"\bno (?:podemos|te podemos|le podemos) ayudar (?:por|desde) aquí\b",
    ),
    owns=_rx(
        r"\b(?:yo )?me (?:encargo|ocupo)\b", r"\bnos (?:encargamos|ocupamos)\b",
        r"\b(?:voy|vamos) a (?:\w+ ){0,2}?(?:revisar|mirar|gestionar|tramitar|reembolsar|reservar|llamar|contactar|"
        r"escalar|solucionar|comprobar|trasladar)\b",
        r"\b(?:he|hemos|ya he|ya hemos) (?:trasladado|pasado|enviado|escalado|reembolsado|reservado|tramitado)\b",
        r"\bdéjame\b", r"\blo (?:reviso|revisamos|miro|miramos|gestiono|gestionamos)\b",
    ),
    non_apology=_rx(
        r"\b(?:sentimos|lamentamos|siento|lamento) (?:mucho )?que (?:te sientas|se sienta|pienses|piense|"
        r"lo veas|lo vea|lo percibas|lo perciba|así lo (?:sientas|sienta)|(?:hayas|haya) tenido (?:esa|esta|la) "
        r"impresión)\b",
        r"\b(?:sentimos|lamentamos|lo sentimos|lo siento|disculpas?|pedimos disculpas) si\b",
        r"\bpor cualquier (?:molestia|inconveniente)\b",
        r"\b(?:las )?(?:molestias|inconvenientes) que (?:esto |esta situación )?(?:le |te )?(?:haya|hayan|pudiera|"
        r"pudieran) (?:podido )?(?:causar|ocasionar)\b",
    ),
    apology=_rx(r"\blo (?:sentimos|siento)\b", r"\bdisculpa", r"\bperd[oó]n", r"\blamentamos\b", r"\blamento\b",
                r"\bsentimos\b", r"\bculpa nuestra\b", r"\b(?:nuestro error|error nuestro)\b", r"\bnos equivocamos\b"),
    next_step=_rx(
        r"\b(?:te|le|les|os) (?:informaremos|escribiremos|llamaremos|avisaremos|mantendremos|contactaremos|"
        r"daremos|diremos)\b", r"\b\w{3,}(?:aremos|eremos|iremos)\b", r"\b(?:vamos|voy) a\b",
        r"\bpróxima (?:actualización|información|comunicación)\b",
        r"\b(?:a|antes de) las \d{1,2}(?::\d{2})?\b", r"\b\d{1,2}:\d{2}\b",
        r"\b(?:hoy|esta tarde|esta noche|mañana)\b", r"\ben (?:\d+|unos|unas|una|un) (?:minutos?|horas?|días?)\b",
        r"\bpor (?:md|dm|mensaje (?:directo|privado))\b", r"https?://\S+",
        r"\b(?:está|están|ha sido|han sido|ya está) (?:ya )?(?:solucionad[oa]s?|resuelt[oa]s?|reembolsad[oa]s?|"
        r"arreglad[oa]s?|restablecid[oa]s?)\b",
        r"\b(?:hemos|he) (?:\w+ ){0,2}?(?:solucionado|arreglado|reembolsado|cambiado|corregido|enviado|restablecido)\b",
    ),
    hide_critics=_rx(
        _near(r"borr|elimin|ocult|bloque|banea|censur",
              r"comentarios?|reseñas|opiniones|críticas|críticos|usuarios|(?:sus|tus|esos|estos|esas|estas|los)\s+"
              r"(?:mensajes|publicaciones|tuits|tweets|posts)",
              r"borrad[oa]s|eliminad[oa]s|ocultad[oa]s|bloquead[oa]s|censurad[oa]s"),
    ),
    unhide=_rx(_UNHIDE["es"]),
    negation=_rx(r"\b(?:no|nunca|jamás|ningún|ninguna)\b"),
)

TABLES: dict[str, Table] = {t.lang: t for t in (EN, NL, FR, DE, ES)}
LANGS = tuple(TABLES)

# Short function words that tell the five languages apart in a few words.
_STOP = {
    "en": "the and you your we our is are to of for this that with will sorry have it",
    "nl": "de het een en je u jij we wij ons onze is zijn van voor dat niet met dit ik heb hebben",
    "fr": "le la les et vous votre nous notre est sont des pour que pas avec ce cette je une",
    "de": "der die das und sie ihre ihr wir unser unsere ist sind für nicht mit ich ein eine auch",
    "es": "el la los las y usted su tu nosotros nuestro es son para que no con este esta una lo",
}
_STOPSETS = {k: set(v.split()) for k, v in _STOP.items()}


def guess(text: str) -> str | None:
    """The reply's language by stop-word count, or None when unclear (a tie,
    or fewer than two telling words): cheap, and only a fallback for when
    the mention's language is unknown."""
    tokens = re.findall(r"[a-zà-ÿ']+", (text or "").lower())
    scores = sorted(((sum(t in s for t in tokens), k) for k, s in _STOPSETS.items()), reverse=True)
    (best, lang), (second, _) = scores[0], scores[1]
    return lang if best >= 2 and best > second else None


def tables_for(lang: str | None, text: str) -> list[Table]:
    """The tables the lint applies: ``lang``'s, the reply's guessed
    language's and English; every table when neither is known."""
    code = (lang or "").strip().lower().replace("_", "-").split("-")[0]
    picked = [c for c in dict.fromkeys((code, guess(text) or "")) if c in TABLES]
    if not picked:
        return list(TABLES.values())
    return [TABLES[c] for c in dict.fromkeys([*picked, "en"])]
