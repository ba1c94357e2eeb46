#!/usr/bin/env python3
"""Generate the small, deterministic demo corpus in ``sample_data/``.

Every later pipeline stage (ingest, filter, dedup, score, tag, report) and the README demo need
a crawl that *looks* real -- per-record-gzipped WARC/1.1, boilerplate-heavy HTML, mixed languages
and charsets, duplicates, PII, machine-written pages, junk -- but that we are free to commit and
redistribute.  So every byte here is produced by this script from text written for it; nothing
is copied from the web or from third-party datasets.

Why deterministic: tests and benchmarks check recall against ``manifest_of_planted_cases.json``
and compare the committed files byte for byte, so all randomness comes from seeded
``random.Random`` instances, WARC dates are fixed, record ids are ``uuid5`` values and gzip
headers carry ``mtime=0``.

Usage::

    python scripts/make_sample_data.py            # rewrite sample_data/
    python scripts/make_sample_data.py --out DIR  # write somewhere else (used by the tests)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import random
import re
import struct
import sys
import unicodedata
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

SEED = 20240601
# Fixed namespace so record ids are stable across runs and machines.
NAMESPACE = uuid.UUID("6f1d3a52-9c1e-5b7a-8e43-0c2d9a7b4e11")
GENERATOR = "curate scripts/make_sample_data.py"
MANIFEST_SCHEMA = "curate.sample-manifest/1"
CRAWL_START = datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC)
CRAWL_END = datetime(2024, 6, 30, 23, 59, 59, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------------------------------
# Text banks.  A topic is a small phrase grammar: subjects, verb phrases (present tense, third
# person singular, so any subject fits any verb phrase), optional past-tense verb phrases, time
# and place adverbials, conditions, reason clauses, a few fixed "fact" sentences, headings and
# title patterns.  Combining short pieces keeps pages on the same topic from sharing long
# n-grams, so the only near-duplicates are the ones we plant on purpose.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """One subject area in one language, as a phrase grammar."""

    lang: str
    subjects: tuple[str, ...]
    verbs: tuple[str, ...]
    past: tuple[str, ...]
    times: tuple[str, ...]
    conds: tuple[str, ...]
    reasons: tuple[str, ...]
    facts: tuple[str, ...]
    headings: tuple[str, ...]
    titles: tuple[str, ...]
    fills: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Grammar:
    """Language-wide sentence templates and shared slot vocabularies."""

    templates: tuple[str, ...]
    people: tuple[str, ...]
    who: tuple[str, ...]
    months: tuple[str, ...]
    units: tuple[str, ...]
    numbers: tuple[str, ...]
    # Topic-free remarks a blogger makes anywhere ("{A}"): more sentences per page without
    # repeating a topic fragment.
    asides: tuple[str, ...] = ()


GRAMMARS: dict[str, Grammar] = {
    "en": Grammar(
        templates=(
            "{A}",
            "{A}",
            "{A}",
            "{S_cap} {V}.",
            "{S_cap} {V} {T}.",
            "{T_cap}, {S} {V}.",
            "{S_cap} {V}, {R}.",
            "In my experience, {S} {V} {T}.",
            "If {C}, {S} {V}.",
            "{P_cap} told me that {S} {V} {T}.",
            "Last {month}, {S} {VP}.",
            "{S_cap} {VP} {T}, which surprised {who}.",
            "It took about {n} {unit} before {S} {VP}.",
            "Nobody warned me that {S} {V} {T}.",
            "The short version: {S} {V}, {R}.",
            "What matters most is that {S} {V} if {C}.",
            "I used to think {S} {V}, but {S2} {V2} {T}.",
            "{S_cap} {VP}, {R}.",
            "As {P} likes to point out, {S} {V}.",
            "One reader asked whether {S} {V} {T}; the honest answer is that it depends on "
            "whether {C}.",
            "{F}",
            "{F}",
        ),
        people=(
            "my neighbour Margaret",
            "a retired engineer I know",
            "the woman who runs the Saturday market",
            "my brother-in-law",
            "an old friend from school",
            "the man at the hardware shop",
            "our editor",
            "a long-time reader",
            "my daughter",
            "a colleague of mine",
        ),
        who=(
            "everyone",
            "me",
            "the whole family",
            "most of the regulars",
            "the neighbours",
            "nobody except me",
        ),
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        units=("weeks", "days", "months", "attempts", "hours"),
        numbers=(
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ),
        asides=(
            "I wrote most of this down at the time, so the details should be close to right.",
            "Your mileage will vary, of course, and I would love to hear how it went for you.",
            "None of this is new, but it took me far too long to learn it.",
            "I have been doing this for about six years now and still get it wrong.",
            "There is a longer post on the subject in the archive if you want the whole story.",
            "A few readers have written in with their own versions, which I have tried to include.",
            "I keep a notebook for exactly this reason, and it has paid for itself many "
            "times over.",
            "That was the theory, anyway; the practice turned out to be a little messier.",
            "If there is one thing I would tell my younger self, it is to slow down.",
            "I am not an expert, just someone who has made most of the mistakes already.",
            "We talked about it for a good hour over tea and still did not agree.",
            "It is worth saying that the weather had a lot to do with it.",
            "Looking back, I should have taken more photos along the way.",
            "The comments on the last post were full of good ideas, so thank you all.",
            "In the end it cost less than I feared and took longer than I hoped.",
            "I will report back once I have tried it for a full season.",
        ),
    ),
    "de": Grammar(
        templates=(
            "{A}",
            "{A}",
            "{S_cap} {V}.",
            "{S_cap} {V} {T}.",
            "{S_cap} {V}, {C}.",
            "{S_cap} {VP}, {R}.",
            "{P_cap} sagt immer: {S_cap} {V}.",
            "Meine Erfahrung ist eindeutig: {S_cap} {V} {T}.",
            "Kaum zu glauben, aber {S} {VP}.",
            "Im {month} war es wieder so weit: {S_cap} {VP}.",
            "Ehrlich gesagt: {S_cap} {V}, {R}.",
            "Viele unterschätzen das, aber {S} {V} {T}.",
            "{F}",
            "{F}",
        ),
        people=(
            "meine Nachbarin Gisela",
            "ein pensionierter Ingenieur aus dem Verein",
            "mein Schwager",
            "die Frau vom Tauschmarkt",
            "ein alter Schulfreund",
            "unsere Redakteurin",
        ),
        who=("alle",),
        months=(
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ),
        units=("Wochen",),
        numbers=("zwei", "drei", "vier"),
        asides=(
            "Das meiste habe ich damals gleich aufgeschrieben, die Einzelheiten dürften also "
            "stimmen.",
            "Natürlich ist das bei jedem ein bisschen anders, und ich freue mich über eure "
            "Erfahrungen.",
            "Neu ist davon nichts, aber ich habe viel zu lange gebraucht, um es zu lernen.",
            "Ich mache das jetzt seit ungefähr sechs Jahren und liege trotzdem manchmal daneben.",
            "Wer die ganze Geschichte lesen will, findet im Archiv einen längeren Beitrag dazu.",
            "Einige Leserinnen haben mir ihre eigenen Varianten geschickt, die ich hier aufnehme.",
            "Genau deshalb führe ich ein kleines Notizbuch, und es hat sich längst bezahlt "
            "gemacht.",
            "So weit die Theorie; in der Praxis lief es dann etwas holpriger.",
            "Wenn ich meinem jüngeren Ich einen Rat geben könnte, dann wäre es mehr Geduld.",
            "Ich bin keine Fachfrau, nur jemand, der die meisten Fehler schon gemacht hat.",
            "Beim Kaffee haben wir eine gute Stunde darüber gesprochen und waren uns "
            "trotzdem nicht einig.",
            "Man muss dazusagen, dass das Wetter eine große Rolle gespielt hat.",
            "Im Nachhinein hätte ich unterwegs mehr Fotos machen sollen.",
            "Unter dem letzten Beitrag kamen viele gute Ideen, dafür vielen Dank.",
            "Am Ende war es billiger als befürchtet und dauerte länger als erhofft.",
            "Ich melde mich wieder, sobald ich es eine ganze Saison lang ausprobiert habe.",
        ),
    ),
    "fr": Grammar(
        templates=(
            "{A}",
            "{A}",
            "{S_cap} {V}.",
            "{S_cap} {V} {T}.",
            "{S_cap} {V} {C}.",
            "{S_cap} {VP}, {R}.",
            "Selon {P}, {S} {V}.",
            "D'expérience, {S} {V} {T}.",
            "En {month}, {S} {VP}.",
            "Franchement, {S} {V}, {R}.",
            "On l'oublie souvent, mais {S} {V} {T}.",
            "{F}",
            "{F}",
        ),
        people=(
            "ma voisine Monique",
            "un ingénieur à la retraite du club",
            "mon beau-frère",
            "la patronne du marché",
            "un vieil ami d'école",
        ),
        who=("tout le monde",),
        months=(
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ),
        units=("semaines",),
        numbers=("deux", "trois", "quatre"),
        asides=(
            "J'ai noté presque tout sur le moment, les détails devraient donc être assez justes.",
            "Chacun fait à sa manière, bien sûr, et vos propres retours sont les bienvenus.",
            "Rien de tout cela n'est nouveau, mais il m'a fallu bien trop longtemps pour "
            "l'apprendre.",
            "Cela fait environ six ans que je m'y consacre et je me trompe encore parfois.",
            "Un article plus long dans les archives raconte toute l'histoire, pour les curieux.",
            "Plusieurs lecteurs m'ont envoyé leurs propres versions, que j'ai essayé d'intégrer.",
            "C'est pour cette raison que je tiens un petit carnet, et il m'a souvent rendu "
            "service.",
            "Voilà pour la théorie ; en pratique, les choses ont été un peu plus compliquées.",
            "Si je devais donner un seul conseil à mes débuts, ce serait de prendre mon temps.",
            "Je ne suis pas spécialiste, simplement quelqu'un qui a déjà fait la plupart des "
            "erreurs.",
            "Nous en avons discuté une bonne heure autour d'un café sans tomber d'accord.",
            "Il faut dire que la météo y était pour beaucoup.",
            "Avec le recul, j'aurais dû prendre davantage de photos en chemin.",
            "Les commentaires du dernier billet regorgeaient de bonnes idées, merci à tous.",
            "Au bout du compte, cela a coûté moins cher que prévu et pris plus de temps qu'espéré.",
            "Je vous tiendrai au courant après une saison complète d'essais.",
        ),
    ),
    "es": Grammar(
        templates=(
            "{A}",
            "{A}",
            "{S_cap} {V}.",
            "{S_cap} {V} {T}.",
            "{S_cap} {V} {C}.",
            "{S_cap} {VP}, {R}.",
            "Según {P}, {S} {V}.",
            "En mi experiencia, {S} {V} {T}.",
            "En {month}, {S} {VP}.",
            "La verdad es que {S} {V}, {R}.",
            "Mucha gente no lo sabe, pero {S} {V} {T}.",
            "{F}",
            "{F}",
        ),
        people=(
            "mi vecina Carmen",
            "un ingeniero jubilado del club",
            "mi cuñado",
            "la dueña del bar de la esquina",
            "un viejo amigo del colegio",
        ),
        who=("todos",),
        months=(
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ),
        units=("semanas",),
        numbers=("dos", "tres", "cuatro"),
        asides=(
            "Apunté casi todo en su momento, así que los detalles deberían ser bastante fieles.",
            "Cada casa es un mundo, claro, y me encantará leer cómo os ha ido a vosotros.",
            "Nada de esto es nuevo, pero tardé demasiado en aprenderlo.",
            "Llevo unos seis años con esto y todavía me equivoco de vez en cuando.",
            "Hay una entrada más larga en el archivo para quien quiera la historia completa.",
            "Varios lectores me han mandado sus propias versiones y he intentado incluirlas.",
            "Por eso mismo llevo una libreta, que ya me ha sacado de más de un apuro.",
            "Eso decía la teoría; la práctica fue bastante más desordenada.",
            "Si pudiera darle un solo consejo a mi yo de hace unos años, sería ir más despacio.",
            "No soy ninguna experta, solo alguien que ya ha cometido casi todos los errores.",
            "Lo hablamos durante una hora larga con un café delante y seguimos sin ponernos "
            "de acuerdo.",
            "Hay que reconocer que el tiempo tuvo mucho que ver.",
            "Visto ahora, tendría que haber sacado más fotos por el camino.",
            "Los comentarios de la última entrada estaban llenos de buenas ideas, así que gracias.",
            "Al final salió más barato de lo que temía y llevó más tiempo del que esperaba.",
            "Os contaré qué tal cuando lo haya probado una temporada entera.",
        ),
    ),
    "ru": Grammar(
        templates=(
            "{A}",
            "{A}",
            "{S_cap} {V}.",
            "{T_cap} {S} {V}.",
            "{S_cap} {V}, {C}.",
            "{S_cap} {V}, {R}.",
            "Как говорит {P}, {S} {V}.",
            "По моему опыту, {S} {V} {T}.",
            "Честно говоря, {S} {V}.",
            "Многие об этом не знают, но {S} {V} {T}.",
            "{F}",
            "{F}",
        ),
        people=(
            "моя соседка Галина",
            "знакомый инженер на пенсии",
            "мой шурин",
            "хозяйка магазина на углу",
        ),
        who=("все",),
        months=("январе", "феврале", "марте", "апреле", "мае", "июне"),
        units=("недели",),
        numbers=("две", "три"),
        asides=(
            "Почти всё я записывал сразу, так что подробности должны быть точными.",
            "У каждого, конечно, свой опыт, и мне будет интересно прочитать ваши истории.",
            "Ничего нового здесь нет, но мне понадобилось слишком много времени, чтобы это понять.",
            "Я занимаюсь этим уже лет шесть и всё равно иногда ошибаюсь.",
            "В архиве есть более длинная запись на эту тему для тех, кому интересны детали.",
            "Несколько читателей прислали свои варианты, и я постарался их учесть.",
            "Именно поэтому я веду тетрадку, и она уже не раз меня выручала.",
            "Такова была теория; на практике всё оказалось немного сложнее.",
            "Если бы я мог дать себе один совет в начале пути, то посоветовал бы не торопиться.",
            "Я не специалист, просто человек, который уже совершил большинство ошибок.",
            "Мы обсуждали это за чаем добрый час и так и не пришли к согласию.",
            "Надо признать, что погода сыграла здесь немалую роль.",
            "Оглядываясь назад, жалею, что сделал так мало фотографий.",
            "В комментариях к прошлой записи было много дельных советов, спасибо всем.",
            "В итоге вышло дешевле, чем я боялся, и дольше, чем я надеялся.",
            "Напишу ещё раз, когда проверю всё это в течение целого сезона.",
        ),
    ),
    "zh": Grammar(
        templates=(
            "{A}",
            "{A}",
            "{S}{V}。",
            "{T}，{S}{V}。",
            "{C}，{S}{V}。",
            "{S}{V}，{R}。",
            "我的经验是，{S}{V}。",
            "{P}说，{S}{V}。",
            "说实话，{T}{S}{V}。",
            "{F}",
        ),
        people=("邻居王阿姨", "我的老同学", "楼下的老板", "我爸"),
        who=("大家",),
        months=("一月", "二月", "三月", "四月", "五月", "六月"),
        units=("周",),
        numbers=("两", "三"),
        asides=(
            "这些大多是我当时随手记下的，细节应该八九不离十。",
            "当然，每个人的情况都不一样，欢迎大家在评论里分享自己的做法。",
            "这些道理其实都不新鲜，只是我花了很久才真正明白。",
            "我折腾这件事差不多有六年了，到现在还会出错。",
            "想看完整经过的朋友，可以翻一翻以前那篇长文。",
            "好几位读者发来了他们自己的版本，我尽量都整理进来了。",
            "正因为这样，我一直带着一个小本子，它帮了我不少忙。",
            "道理是这么个道理，真做起来就没那么顺利了。",
            "如果能给刚开始的自己一句忠告，那就是别着急。",
            "我不是什么专家，只是把大部分弯路都走过一遍的人。",
            "我们边喝茶边聊了快一个钟头，最后还是没有统一意见。",
            "说句公道话，天气在这里面起了很大作用。",
            "现在回头看，当时应该多拍几张照片。",
            "上一篇文章下面的留言里有很多好点子，谢谢大家。",
            "最后花的钱比我担心的少，用的时间却比我预想的长。",
            "等我完整试过一季，再来跟大家汇报。",
        ),
    ),
}

TOPICS: dict[str, Topic] = {
    "gardening": Topic(
        lang="en",
        subjects=(
            "the compost heap",
            "my raised bed by the shed",
            "the old greenhouse",
            "a row of broad beans",
            "the rhubarb crown",
            "our clay soil",
            "the water butt",
            "a mulch of shredded leaves",
            "the plum tree",
            "the seed tray on the windowsill",
            "the strawberry patch",
            "a cheap soil thermometer",
            "the netting over the brassicas",
        ),
        verbs=(
            "needs turning more often than the books suggest",
            "holds moisture far better than bare earth",
            "attracts slugs within a day",
            "keeps the worst of the frost away",
            "produces more than we can eat",
            "looks scruffy but does its job",
            "dries out quickly in a warm spell",
            "cracks badly in August",
            "benefits from a handful of wood ash",
            "tells you more than any calendar",
            "saves me a trip to the tap",
            "hides a surprising number of woodlice",
        ),
        past=(
            "survived a week of hard frost",
            "gave us four kilos of fruit",
            "collapsed under the weight of the snow",
            "rotted from the inside",
            "took off once the nights warmed up",
            "flowered a fortnight early",
            "needed staking twice",
            "disappeared under bindweed",
        ),
        times=(
            "in early spring",
            "after a wet week",
            "by the middle of June",
            "before the first frost",
            "on a still evening",
            "during the dry spell last summer",
            "once the soil warms up",
            "every other weekend",
            "in a sheltered corner",
            "at the far end of the plot",
        ),
        conds=(
            "the soil is still cold",
            "you water in the evening rather than at noon",
            "the wind comes from the east",
            "you leave a gap for air to move",
            "the slugs have had a good year",
            "you sow in small batches",
        ),
        reasons=(
            "which is why I no longer dig in the autumn",
            "so I have stopped buying compost in bags",
            "and that alone justifies the effort",
            "although the pigeons disagree",
            "because the roots stay cooler",
            "which the neighbours find amusing",
        ),
        facts=(
            "Broad beans sown in November usually beat the blackfly by a few weeks.",
            "A layer of cardboard under the mulch smothers couch grass better than any spray.",
            "Comfrey leaves soaked in a bucket for a month make a strong, if smelly, liquid feed.",
            "Most seed packets are optimistic about germination in a cold April.",
            "Rhubarb should not be harvested in its first year, however tempting the stalks look.",
            "Leaf mould takes two years but costs nothing except patience.",
            "Frost pockets form where cold air cannot drain away downhill.",
        ),
        headings=(
            "What went wrong",
            "Soil first",
            "The watering question",
            "A note on slugs",
            "Next year's plan",
            "What I would do differently",
            "Tools that earned their place",
        ),
        titles=(
            "{n} lessons from a wet spring on the allotment",
            "Why I stopped digging my {crop}",
            "A beginner's notes on {crop}",
            "Growing {crop} on heavy clay",
            "The {season} jobs I never skip",
            "What the {crop} taught me this year",
        ),
        fills={
            "crop": (
                "broad beans",
                "rhubarb",
                "courgettes",
                "garlic",
                "runner beans",
                "leeks",
                "squash",
                "strawberries",
                "early potatoes",
                "kale",
            ),
            "season": ("spring", "summer", "autumn", "winter"),
        },
    ),
    "cycling": Topic(
        lang="en",
        subjects=(
            "the Tuesday club ride",
            "my old steel touring frame",
            "a set of wider tyres",
            "the climb out of the valley",
            "the chain on my commuter",
            "a cheap pair of overshoes",
            "the canal towpath",
            "the group's newest rider",
            "the front derailleur",
            "a flask of sweet tea",
            "the headwind on the coast road",
            "a good saddle",
        ),
        verbs=(
            "makes a bigger difference than any upgrade",
            "punishes anyone who starts too fast",
            "squeaks the moment it gets wet",
            "turns a miserable morning into a decent one",
            "needs a clean after every wet ride",
            "feels twice as long in January",
            "rewards a steady cadence",
            "splits the group within a mile",
            "keeps my feet dry for about an hour",
            "comes with a view worth stopping for",
            "handles gravel surprisingly well",
        ),
        past=(
            "snapped ten miles from home",
            "carried me through three wet winters",
            "lasted longer than the bike shop predicted",
            "ended with everyone in the cafe",
            "dropped half the group on the first hill",
            "needed a new cable after one season",
            "saved the ride when the rain arrived",
        ),
        times=(
            "on the Sunday loop",
            "before the clocks change",
            "in a crosswind",
            "on the descent into town",
            "at the top of the second climb",
            "in the first week of the year",
            "after dark",
            "on a frosty morning",
            "halfway round the reservoir",
            "on the way back",
        ),
        conds=(
            "the road is wet",
            "you keep the pace conversational",
            "the tyres are pumped too hard",
            "nobody checks the forecast",
            "you eat before you feel hungry",
            "the group waits at junctions",
        ),
        reasons=(
            "which is why I carry two spare tubes",
            "so the ride leader now insists on mudguards",
            "and nobody complains about the cafe stop",
            "although my legs would argue",
            "because nobody wants to ride home alone",
            "which still surprises newer members",
        ),
        facts=(
            "A tyre that is slightly softer often grips better on broken tarmac.",
            "Most punctures on winter rides come from flint washed onto the road.",
            "A chain that squeaks is asking for oil, not a lecture.",
            "Riding in a line halves the effort for everyone but the person at the front.",
            "Lights are cheaper than hospital visits.",
            "Cold hands make for clumsy braking long before they go numb.",
        ),
        headings=(
            "The route",
            "Kit that worked",
            "Mechanicals",
            "Food and drink",
            "Riding in a group",
            "Lessons learned",
        ),
        titles=(
            "{n} things I carry on every winter ride",
            "Notes from the {place} loop",
            "Is a {part} upgrade worth it?",
            "Commuting through the {season}",
            "How our club handles {issue}",
            "Fixing a {part} at the roadside",
        ),
        fills={
            "place": ("reservoir", "coast road", "hill farm", "old railway", "ridge"),
            "part": ("saddle", "wheelset", "derailleur", "brake pad", "tyre"),
            "issue": ("new riders", "punctures", "bad weather", "cafe stops"),
            "season": ("winter", "autumn", "wet season"),
        },
    ),
    "cooking": Topic(
        lang="en",
        subjects=(
            "a pot of slow-cooked beans",
            "the cast-iron pan",
            "my sourdough starter",
            "a spoonful of miso",
            "the cheap bag of lentils",
            "a squeeze of lemon",
            "the oven in our rented flat",
            "the stock made from roast bones",
            "a pinch of smoked paprika",
            "the Sunday batch of soup",
            "the jar of pickled onions",
            "our weekly vegetable box",
        ),
        verbs=(
            "improves on the second day",
            "forgives almost any mistake",
            "needs feeding twice a day in summer",
            "adds depth without shouting",
            "stretches a meal for four into a meal for six",
            "brightens a heavy stew",
            "runs about twenty degrees hot",
            "freezes well in small portions",
            "turns leftovers into something worth eating",
            "goes further than you would expect",
            "rescues a bland sauce",
        ),
        past=(
            "burned while I answered the door",
            "lasted the whole week",
            "fed eight people at the party",
            "came out flat the first three times",
            "disappeared before the main course",
            "split when the heat went too high",
            "became the family's favourite",
        ),
        times=(
            "on a cold weeknight",
            "after a long day",
            "at the end of the month",
            "on a Sunday afternoon",
            "for a packed lunch",
            "in the last ten minutes of cooking",
            "when the market is quiet",
            "the night before",
            "in a small kitchen",
            "straight from the freezer",
        ),
        conds=(
            "you salt the water properly",
            "the pan is hot before the oil goes in",
            "you let the dough rest overnight",
            "nobody opens the oven door",
            "you taste as you go",
            "the onions get a full twenty minutes",
        ),
        reasons=(
            "which is why I always cook double",
            "so the recipe card now has a warning on it",
            "and the children never notice the vegetables",
            "although my partner prefers it plain",
            "because it saves money as well as time",
            "which takes the pressure off the weekend",
        ),
        facts=(
            "Dried beans cook more evenly if they are soaked overnight in salted water.",
            "A little acid at the end wakes up almost any soup.",
            "Onions take far longer to caramelise than most recipes admit.",
            "Resting meat for a few minutes keeps the juices where they belong.",
            "Flour varies from bag to bag, so the water in bread recipes is only a guide.",
            "Frozen peas are often fresher than the ones sold in their pods.",
        ),
        headings=(
            "Ingredients",
            "Method",
            "Why it works",
            "Variations",
            "Storing leftovers",
            "A note on cost",
        ),
        titles=(
            "A cheap and honest {dish}",
            "{n} ways to use up {ingredient}",
            "My grandmother's {dish}, more or less",
            "Cooking {dish} on a budget",
            "What I learned from a month of {dish}",
            "The {season} {dish} we keep making",
        ),
        fills={
            "dish": (
                "lentil soup",
                "bean stew",
                "flatbread",
                "fish pie",
                "vegetable curry",
                "barley risotto",
                "apple crumble",
            ),
            "ingredient": (
                "stale bread",
                "leftover rice",
                "a glut of courgettes",
                "cooked potatoes",
                "overripe bananas",
            ),
            "season": ("winter", "summer", "autumn"),
        },
    ),
    "astronomy": Topic(
        lang="en",
        subjects=(
            "a pair of ten by fifty binoculars",
            "the Orion Nebula",
            "my small refractor",
            "the light from the supermarket car park",
            "a red torch",
            "the Moon near first quarter",
            "the star chart app",
            "Jupiter's cloud belts",
            "the dew shield",
            "a folding camping chair",
            "the Andromeda Galaxy",
            "the polar alignment",
        ),
        verbs=(
            "shows more detail than most beginners expect",
            "ruins any chance of seeing faint objects",
            "keeps your night vision intact",
            "reveals craters along the terminator",
            "drains the phone battery faster than the cold does",
            "rewards a patient observer",
            "fogs up within an hour on a humid night",
            "needs a dark site to look like anything",
            "takes ten minutes to get right",
            "makes a long session bearable",
            "looks like a faint smudge to the naked eye",
        ),
        past=(
            "appeared through a gap in the clouds",
            "stayed hidden behind the neighbour's roof",
            "kept me outside until two in the morning",
            "froze solid by midnight",
            "drifted out of view during the photograph",
            "impressed the whole family",
        ),
        times=(
            "on a moonless night",
            "just after dusk",
            "in late winter",
            "low in the south-east",
            "from the back garden",
            "at about eleven o'clock",
            "through thin cloud",
            "during the meteor shower",
            "from a field outside town",
            "with averted vision",
        ),
        conds=(
            "the air is steady",
            "you give your eyes twenty minutes to adapt",
            "the Moon is below the horizon",
            "the telescope has cooled down",
            "the forecast promises clear skies",
            "you know where to look",
        ),
        reasons=(
            "which is why I plan sessions around the lunar calendar",
            "so I now keep a logbook by the back door",
            "and that is half the fun",
            "although the cold tends to end things early",
            "because the atmosphere is calmer then",
            "which still feels like a small miracle",
        ),
        facts=(
            "Averted vision works because the edge of the eye is more sensitive to faint light.",
            "Saturn's rings show in almost any telescope that magnifies more than twenty-five "
            "times.",
            "Light pollution hides the Milky Way from most people who live in cities.",
            "Binoculars are a better first instrument than a cheap telescope on a wobbly mount.",
            "The best views usually come after midnight, when the air has settled.",
        ),
        headings=(
            "Equipment",
            "Conditions",
            "What I saw",
            "Tips for beginners",
            "Next clear night",
            "Logbook",
        ),
        titles=(
            "Observing {object} from a suburban garden",
            "{n} targets for a first pair of binoculars",
            "A cold night with {object}",
            "Why I still use a {instrument}",
            "Planning a {season} observing session",
            "Notes on {object}",
        ),
        fills={
            "object": (
                "Jupiter",
                "the Pleiades",
                "the Orion Nebula",
                "Saturn",
                "the Moon",
                "the Andromeda Galaxy",
            ),
            "instrument": (
                "small refractor",
                "paper star chart",
                "planisphere",
                "pair of binoculars",
            ),
            "season": ("winter", "spring", "summer", "autumn"),
        },
    ),
    "local_history": Topic(
        lang="en",
        subjects=(
            "the old corn exchange",
            "the parish register",
            "the railway station",
            "a photograph from the town archive",
            "the mill by the river",
            "the Victorian school building",
            "the market charter",
            "the coaching inn on the high street",
            "the canal basin",
            "a letter found under the floorboards",
            "the war memorial",
            "the first town map",
        ),
        verbs=(
            "tells a different story from the official guide",
            "survives only in a handful of copies",
            "still stands, although few people notice it",
            "lists dozens of families who have since moved away",
            "shows the street before the bypass was built",
            "raises more questions than it answers",
            "explains why the road bends where it does",
            "mentions a bridge that no longer exists",
            "deserves a proper plaque",
            "draws visitors every heritage weekend",
        ),
        past=(
            "closed in the nineteen sixties",
            "burned down twice in a single century",
            "was rebuilt with stone from the old priory",
            "changed hands four times",
            "appeared in the newspaper in 1887",
            "was forgotten until a volunteer catalogued it",
            "served as a hospital during the war",
        ),
        times=(
            "in the eighteen fifties",
            "before the railway arrived",
            "during the great flood",
            "in the reign of Queen Anne",
            "after the mill closed",
            "within living memory",
            "on market days",
            "in the earliest surviving records",
            "between the wars",
            "at the turn of the century",
        ),
        conds=(
            "you read the records alongside the maps",
            "the spelling of surnames is treated with caution",
            "older residents are willing to talk",
            "the archive is open on a Thursday",
            "you compare several editions of the map",
        ),
        reasons=(
            "which is why the society keeps asking for old photographs",
            "so the date on the plaque is probably wrong",
            "and the story has grown with every retelling",
            "although the evidence is thin",
            "because nobody thought it worth writing down",
            "which delighted the descendants who came to visit",
        ),
        facts=(
            "Tithe maps are often the best source for field names that have since vanished.",
            "Parish registers before 1837 record baptisms rather than births.",
            "Trade directories give a yearly snapshot of who ran which shop.",
            "Street names frequently preserve the memory of buildings long demolished.",
            "Oral history needs checking, but it records things no document ever will.",
        ),
        headings=(
            "Background",
            "What the records say",
            "Local memories",
            "Open questions",
            "Sources",
            "How you can help",
        ),
        titles=(
            "The forgotten history of the {place}",
            "What the {source} tells us",
            "{n} facts about the {place} you may not know",
            "Searching for the {place}",
            "A walk past the {place}",
            "Who built the {place}?",
        ),
        fills={
            "place": (
                "corn exchange",
                "old mill",
                "canal basin",
                "coaching inn",
                "railway station",
                "workhouse",
                "market cross",
            ),
            "source": ("parish register", "tithe map", "town archive", "trade directory"),
        },
    ),
    "software": Topic(
        lang="en",
        subjects=(
            "the nightly build",
            "our test suite",
            "a small shell script",
            "the database migration",
            "the logging library",
            "the code review queue",
            "a flaky integration test",
            "the deployment pipeline",
            "the legacy billing module",
            "the new caching layer",
            "the on-call rotation",
            "a well-named function",
        ),
        verbs=(
            "catches more bugs than any linter",
            "takes forty minutes on a bad day",
            "hides a surprising amount of complexity",
            "fails whenever the network hiccups",
            "saves the team hours every week",
            "needs an owner more than it needs a rewrite",
            "grows a new special case every sprint",
            "makes the incident review much shorter",
            "breaks in ways nobody can reproduce locally",
            "documents intent better than a comment",
            "pays for itself within a month",
        ),
        past=(
            "went down during the product launch",
            "doubled in size over one quarter",
            "ran for three years without a change",
            "leaked memory for weeks before anyone noticed",
            "was rewritten twice and then deleted",
            "rescued the release at the last minute",
            "turned a two-day job into an afternoon",
        ),
        times=(
            "on a Friday afternoon",
            "after the last release",
            "in production",
            "during the quarterly freeze",
            "at three in the morning",
            "on a fresh laptop",
            "under real traffic",
            "in the first week of a new project",
            "every time the schema changes",
            "once the team grew past ten people",
        ),
        conds=(
            "the tests run in a clean environment",
            "somebody actually reads the logs",
            "the change is small enough to review in one sitting",
            "you pin every dependency",
            "the alerts are tuned to what matters",
            "the rollback has been practised",
        ),
        reasons=(
            "which is why we now deploy before lunch",
            "so the runbook gained a new page",
            "and the pager has been quiet since",
            "although the product team wanted it sooner",
            "because nobody wants to debug it twice",
            "which the newer engineers appreciated",
        ),
        facts=(
            "Most outages begin with a change that looked harmless in review.",
            "A test that fails one time in fifty is worse than no test at all.",
            "Readable code is mostly a matter of good names and short functions.",
            "Boring technology tends to be the cheapest to run at three in the morning.",
            "Every cache is a second source of truth waiting to disagree with the first.",
        ),
        headings=(
            "Context",
            "What we tried",
            "The fix",
            "Results",
            "Lessons for next time",
            "Open questions",
        ),
        titles=(
            "What we learned from a {n}-hour outage",
            "Taming a flaky {component}",
            "Why we deleted our {component}",
            "A small guide to {practice}",
            "Notes on {practice} for small teams",
            "How we cut {component} time in half",
        ),
        fills={
            "component": ("test suite", "deployment pipeline", "build", "cache", "job queue"),
            "practice": (
                "code review",
                "on-call",
                "database migrations",
                "feature flags",
                "logging",
            ),
        },
    ),
    "home_finance": Topic(
        lang="en",
        subjects=(
            "the weekly shopping list",
            "our energy bill",
            "a spare-room lodger",
            "the second-hand washing machine",
            "the household budget spreadsheet",
            "a cheap draught excluder",
            "the car insurance renewal",
            "the monthly direct debit for the gym",
            "a jar of loose change",
            "the emergency fund",
            "the boiler service",
            "a repair cafe in the church hall",
        ),
        verbs=(
            "saves more than it costs within a year",
            "creeps up every time we stop paying attention",
            "makes the end of the month less stressful",
            "rarely gets the scrutiny it deserves",
            "pays for the weekly shop on its own",
            "deserves a phone call to the provider",
            "turns out to be the easiest saving of all",
            "needs checking every January",
            "beats any voucher scheme",
            "keeps the worst surprises at bay",
        ),
        past=(
            "lasted eleven years before it gave up",
            "went up by a third without warning",
            "paid for our summer holiday",
            "was cancelled after one honest conversation",
            "covered the cost of a new boiler part",
            "saved us from a payday loan",
        ),
        times=(
            "at the start of each month",
            "before the renewal date",
            "over the winter",
            "after the children moved out",
            "in the first year",
            "on a Sunday evening",
            "when prices started rising",
            "at the till",
            "during the school holidays",
            "by the end of the year",
        ),
        conds=(
            "you compare quotes rather than renewing automatically",
            "everyone in the house agrees on the limits",
            "you write down every purchase for a month",
            "the heating runs on a timer",
            "you shop with a list and a full stomach",
        ),
        reasons=(
            "which is why we review everything in January",
            "so the spreadsheet now has its own tab for it",
            "and the savings add up quickly",
            "although it takes a little discipline",
            "because small leaks sink big ships",
            "which surprised us more than anyone",
        ),
        facts=(
            "Loyalty rarely pays when it comes to insurance renewals.",
            "Bleeding radiators once a year is free and makes a real difference.",
            "The largest pack is not always cheaper per unit, so check the shelf label.",
            "A month of tracking every purchase is usually enough to find the leaks.",
            "Repairing an appliance often costs less than people assume.",
        ),
        headings=(
            "Where the money went",
            "Small changes",
            "Bigger decisions",
            "What did not work",
            "Our numbers",
            "Next steps",
        ),
        titles=(
            "{n} bills we cut this year",
            "How we finally sorted our {item}",
            "Is it worth repairing a {appliance}?",
            "A {season} budget that actually works",
            "What a month of tracking taught us about our {item}",
        ),
        fills={
            "item": ("energy bill", "food budget", "subscriptions", "insurance"),
            "appliance": ("washing machine", "fridge", "vacuum cleaner", "boiler"),
            "season": ("winter", "summer", "back-to-school"),
        },
    ),
    "garten": Topic(
        lang="de",
        subjects=(
            "der Komposthaufen",
            "das Hochbeet hinter der Garage",
            "der alte Apfelbaum",
            "die Regentonne",
            "unser lehmiger Boden",
            "das Gewächshaus",
            "eine Mulchschicht aus Rasenschnitt",
            "die Tomatenpflanze am Südhang",
            "der Rhabarber",
            "das Kräuterbeet",
            "die Schneckenplage",
            "ein einfaches Bodenthermometer",
        ),
        verbs=(
            "braucht mehr Pflege als erwartet",
            "hält die Feuchtigkeit erstaunlich gut",
            "lockt innerhalb eines Tages die Schnecken an",
            "schützt die Jungpflanzen vor dem Frost",
            "liefert mehr als genug für die Familie",
            "sieht unordentlich aus und erfüllt trotzdem seinen Zweck",
            "trocknet bei Hitze schnell aus",
            "reißt im August tief auf",
            "verträgt eine Handvoll Holzasche",
            "spart mir viele Wege zum Wasserhahn",
            "verrät mehr als jeder Gartenkalender",
        ),
        past=(
            "hat drei Wochen Frost überstanden",
            "hat uns vier Kilo Früchte beschert",
            "ist unter dem Schnee zusammengebrochen",
            "hat zwei Wochen früher geblüht als sonst",
            "musste zweimal neu gestützt werden",
            "ist im Sommer unter der Winde verschwunden",
        ),
        times=(
            "im zeitigen Frühjahr",
            "nach einer nassen Woche",
            "Mitte Juni",
            "vor dem ersten Frost",
            "an einem windstillen Abend",
            "im trockenen Sommer",
            "sobald sich der Boden erwärmt",
            "jedes zweite Wochenende",
            "in der geschützten Ecke",
            "am hinteren Ende des Gartens",
        ),
        conds=(
            "wenn der Boden noch kalt ist",
            "wenn man abends statt mittags gießt",
            "wenn der Wind von Osten kommt",
            "wenn man genug Abstand lässt",
            "wenn die Schnecken ein gutes Jahr hatten",
        ),
        reasons=(
            "weshalb ich im Herbst nicht mehr umgrabe",
            "und das allein lohnt die Mühe",
            "auch wenn die Tauben anderer Meinung sind",
            "weil die Wurzeln kühler bleiben",
            "was die Nachbarn sehr amüsiert",
        ),
        facts=(
            "Dicke Bohnen, die im November gesät werden, sind den Blattläusen oft ein paar "
            "Wochen voraus.",
            "Eine Lage Pappe unter dem Mulch unterdrückt die Quecke besser als jedes Mittel.",
            "Brennnesseljauche riecht furchtbar, wirkt aber zuverlässig.",
            "Die meisten Saatgutpackungen sind im kalten April zu optimistisch.",
            "Laubkompost braucht zwei Jahre, kostet aber nichts außer Geduld.",
        ),
        headings=(
            "Was schiefging",
            "Zuerst der Boden",
            "Die Frage des Gießens",
            "Ein Wort zu Schnecken",
            "Pläne für nächstes Jahr",
        ),
        titles=(
            "{n} Lektionen aus einem nassen Frühjahr",
            "Warum ich nicht mehr umgrabe",
            "Notizen zum Anbau von {crop}",
            "{crop} auf schwerem Lehmboden",
            "Was ich dieses Jahr über {crop} gelernt habe",
        ),
        fills={
            "crop": (
                "Dicken Bohnen",
                "Rhabarber",
                "Zucchini",
                "Knoblauch",
                "Lauch",
                "Kürbis",
                "Erdbeeren",
            ),
        },
    ),
    "radfahren": Topic(
        lang="de",
        subjects=(
            "die Dienstagsrunde",
            "mein alter Stahlrahmen",
            "ein Satz breiterer Reifen",
            "der Anstieg aus dem Tal",
            "die Kette am Alltagsrad",
            "der Gegenwind an der Küste",
            "ein guter Sattel",
            "der Radweg am Kanal",
            "die Thermoskanne mit süßem Tee",
            "das Schutzblech",
            "die neue Mitfahrerin",
            "der Umwerfer",
        ),
        verbs=(
            "macht mehr aus als jedes teure Upgrade",
            "bestraft jeden zu schnellen Start",
            "quietscht sofort bei Nässe",
            "rettet so manchen grauen Morgen",
            "braucht nach jeder Regenfahrt eine Reinigung",
            "fühlt sich im Januar doppelt so lang an",
            "belohnt eine gleichmäßige Trittfrequenz",
            "sprengt die Gruppe schon nach einem Kilometer",
            "hält die Füße etwa eine Stunde trocken",
            "meistert auch Schotter erstaunlich gut",
        ),
        past=(
            "ist zehn Kilometer vor zu Hause gerissen",
            "hat drei nasse Winter überstanden",
            "hat länger gehalten als vom Händler versprochen",
            "endete wie immer im Café",
            "hat die halbe Gruppe am ersten Hügel abgehängt",
        ),
        times=(
            "auf der Sonntagsrunde",
            "vor der Zeitumstellung",
            "bei Seitenwind",
            "in der Abfahrt in die Stadt",
            "oben am zweiten Anstieg",
            "nach Einbruch der Dunkelheit",
            "an einem frostigen Morgen",
            "auf halber Strecke um den Stausee",
            "auf dem Rückweg",
        ),
        conds=(
            "wenn die Straße nass ist",
            "wenn das Tempo gesprächig bleibt",
            "wenn die Reifen zu hart aufgepumpt sind",
            "wenn niemand die Wettervorhersage prüft",
            "wenn man isst, bevor der Hunger kommt",
        ),
        reasons=(
            "weshalb ich immer zwei Ersatzschläuche dabeihabe",
            "und niemand beschwert sich über die Kaffeepause",
            "auch wenn meine Beine widersprechen würden",
            "weil niemand allein nach Hause fahren will",
            "was neue Mitglieder immer noch überrascht",
        ),
        facts=(
            "Ein etwas weicher gepumpter Reifen greift auf rissigem Asphalt oft besser.",
            "Die meisten Winterplatten kommen von Feuersteinsplittern am Straßenrand.",
            "Im Windschatten zu fahren spart allen Kraft außer der Person ganz vorne.",
            "Licht ist billiger als jeder Krankenhausbesuch.",
            "Kalte Hände bremsen ungeschickt, lange bevor sie taub werden.",
        ),
        headings=(
            "Die Strecke",
            "Ausrüstung, die sich bewährt hat",
            "Pannen",
            "Essen und Trinken",
            "Fahren in der Gruppe",
        ),
        titles=(
            "{n} Dinge, die ich auf jeder Wintertour dabeihabe",
            "Notizen von der Runde um den {place}",
            "Lohnt sich ein neuer {part}?",
            "Pendeln im {season}",
            "Pannenhilfe am Straßenrand: der {part}",
        ),
        fills={
            "place": ("Stausee", "Kanal", "Bergsee", "Hügelkamm"),
            "part": ("Sattel", "Laufradsatz", "Umwerfer", "Bremsbelag", "Reifen"),
            "season": ("Winter", "Herbst", "Frühling", "Sommer"),
        },
    ),
    "cuisine": Topic(
        lang="fr",
        subjects=(
            "une marmite de haricots mijotés",
            "la poêle en fonte",
            "mon levain",
            "une cuillère de miso",
            "le sachet de lentilles",
            "un filet de citron",
            "le four de notre appartement",
            "le bouillon maison",
            "une pincée de paprika fumé",
            "la soupe du dimanche",
            "le panier de légumes de la semaine",
            "le bocal d'oignons au vinaigre",
        ),
        verbs=(
            "gagne en goût le lendemain",
            "pardonne presque toutes les erreurs",
            "demande à être nourri deux fois par jour en été",
            "apporte de la profondeur sans écraser le reste",
            "transforme un repas pour quatre en repas pour six",
            "réveille un ragoût trop lourd",
            "chauffe bien plus que prévu",
            "se congèle très bien en petites portions",
            "sauve une sauce trop fade",
            "dure plus longtemps qu'on ne le pense",
        ),
        past=(
            "a brûlé pendant que j'ouvrais la porte",
            "a tenu toute la semaine",
            "a nourri huit personnes lors de la fête",
            "est resté plat les trois premières fois",
            "a disparu avant le plat principal",
            "est devenu le préféré de la famille",
        ),
        times=(
            "un soir de semaine",
            "après une longue journée",
            "en fin de mois",
            "le dimanche après-midi",
            "pour le déjeuner au bureau",
            "dans les dix dernières minutes",
            "la veille au soir",
            "dans une petite cuisine",
            "au sortir du congélateur",
        ),
        conds=(
            "si l'on sale correctement l'eau",
            "si la poêle est bien chaude",
            "si la pâte repose toute la nuit",
            "si personne n'ouvre la porte du four",
            "si l'on goûte au fur et à mesure",
        ),
        reasons=(
            "c'est pourquoi je cuisine toujours en double",
            "et les enfants ne remarquent jamais les légumes",
            "même si mon compagnon le préfère nature",
            "parce que cela fait gagner du temps et de l'argent",
            "ce qui soulage le week-end",
        ),
        facts=(
            "Les haricots secs cuisent plus régulièrement après une nuit de trempage.",
            "Un peu d'acidité en fin de cuisson réveille presque toutes les soupes.",
            "Les oignons mettent bien plus longtemps à caraméliser que ne l'admettent les "
            "recettes.",
            "La farine change d'un sachet à l'autre, la quantité d'eau n'est donc qu'indicative.",
            "Les petits pois surgelés sont souvent plus frais que ceux vendus en cosse.",
        ),
        headings=(
            "Ingrédients",
            "Préparation",
            "Pourquoi ça marche",
            "Variantes",
            "Conserver les restes",
        ),
        titles=(
            "Une {dish} simple et économique",
            "{n} façons d'utiliser {ingredient}",
            "La {dish} de ma grand-mère, à peu près",
            "Ce que m'a appris un mois de {dish}",
        ),
        fills={
            "dish": (
                "soupe de lentilles",
                "potée aux haricots",
                "tarte aux poireaux",
                "galette de sarrasin",
                "compote de pommes",
            ),
            "ingredient": (
                "le pain rassis",
                "les restes de riz",
                "les courgettes en trop",
                "les bananes trop mûres",
            ),
        },
    ),
    "randonnee": Topic(
        lang="fr",
        subjects=(
            "le sentier du col",
            "ma vieille paire de chaussures",
            "le refuge au-dessus du lac",
            "le brouillard du matin",
            "un thermos de thé",
            "la montée vers la crête",
            "le balisage jaune",
            "le sac de vingt litres",
            "le groupe du jeudi",
            "la source près de la bergerie",
            "un bâton de marche",
        ),
        verbs=(
            "réserve toujours une surprise",
            "use les genoux plus que les mollets",
            "disparaît dès que le temps se gâte",
            "rend la descente bien plus sûre",
            "suffit largement pour une journée",
            "mérite un détour",
            "demande une bonne heure de plus que prévu",
            "offre une vue sur toute la vallée",
            "se perd facilement dans la forêt",
            "sauve la journée quand le vent se lève",
        ),
        past=(
            "a résisté à trois hivers",
            "nous a surpris à mi-chemin",
            "a été fermé après l'orage",
            "a duré deux fois plus longtemps que prévu",
            "nous a obligés à faire demi-tour",
            "est resté gravé dans nos mémoires",
        ),
        times=(
            "au lever du jour",
            "en fin d'automne",
            "après une semaine de pluie",
            "au-dessus de mille mètres",
            "dans la dernière montée",
            "un jour de grand vent",
            "à la fonte des neiges",
            "sur le chemin du retour",
            "en plein été",
        ),
        conds=(
            "si l'on part avant huit heures",
            "si la météo annonce des orages",
            "si le groupe garde un rythme régulier",
            "si l'on boit avant d'avoir soif",
            "si personne ne consulte la carte",
        ),
        reasons=(
            "c'est pourquoi je garde toujours une couche de plus",
            "et personne ne se plaint de la pause",
            "même si mes jambes diraient le contraire",
            "parce que personne ne veut redescendre seul",
            "ce qui surprend encore les nouveaux",
        ),
        facts=(
            "En montagne, le temps change plus vite que les prévisions.",
            "Une descente fatigue souvent davantage qu'une montée.",
            "Le balisage est parfois effacé par l'hiver, d'où l'utilité d'une carte papier.",
            "Partir tôt permet d'éviter la chaleur et les orages de l'après-midi.",
        ),
        headings=(
            "L'itinéraire",
            "Le matériel",
            "Les difficultés",
            "Où dormir",
            "Conseils pratiques",
        ),
        titles=(
            "{n} leçons d'une randonnée sous la pluie",
            "Autour du {place} en deux jours",
            "Faut-il vraiment un {item} ?",
            "Randonner en {season}",
        ),
        fills={
            "place": ("lac", "col", "plateau", "massif"),
            "item": ("bâton de marche", "GPS", "sac de couchage léger"),
            "season": ("hiver", "automne", "été"),
        },
    ),
    "viajes": Topic(
        lang="es",
        subjects=(
            "el tren de la mañana",
            "la pensión junto al puerto",
            "mi vieja mochila",
            "el mercado del sábado",
            "la carretera de la costa",
            "el autobús de línea",
            "una libreta de viaje",
            "el casco antiguo",
            "la ruta por los pueblos blancos",
            "el café de la estación",
            "un mapa de papel",
            "el albergue del camino",
        ),
        verbs=(
            "cuesta menos de lo que parece",
            "merece una visita sin prisas",
            "se llena de gente en agosto",
            "ofrece las mejores vistas del valle",
            "sale puntual casi siempre",
            "guarda más historias que cualquier guía",
            "resulta más cómodo de lo esperado",
            "cambia por completo con la lluvia",
            "sorprende a cualquiera que llega por primera vez",
            "ahorra muchas horas de planificación",
        ),
        past=(
            "se retrasó casi dos horas",
            "nos salvó una tarde de tormenta",
            "cerró justo el día que llegamos",
            "resultó ser lo mejor del viaje",
            "nos costó la mitad que el hotel",
            "duró más de lo previsto",
        ),
        times=(
            "en temporada baja",
            "a primera hora",
            "al atardecer",
            "fuera de los meses de verano",
            "en pleno invierno",
            "durante la Semana Santa",
            "entre semana",
            "al final del día",
            "en la última etapa",
        ),
        conds=(
            "si se reserva con antelación",
            "si se viaja sin prisas",
            "si el tiempo acompaña",
            "si uno pregunta a la gente del lugar",
            "si se evita el fin de semana",
        ),
        reasons=(
            "por eso siempre llevo algo de efectivo",
            "y nadie se quejó del madrugón",
            "aunque mis pies opinen lo contrario",
            "porque nadie quería volver todavía",
            "lo que todavía sorprende a los viajeros",
        ),
        facts=(
            "Los trenes regionales son más lentos, pero enseñan mucho más del país.",
            "En muchos pueblos el comercio cierra a mediodía y vuelve a abrir por la tarde.",
            "Un mapa de papel no se queda sin batería.",
            "Viajar en temporada baja reduce el gasto casi a la mitad.",
        ),
        headings=(
            "Cómo llegar",
            "Dónde dormir",
            "Qué comer",
            "Consejos prácticos",
            "Lo que no repetiría",
        ),
        titles=(
            "{n} lecciones de un viaje en tren por {region}",
            "Una semana sin prisas en {region}",
            "¿Merece la pena visitar {region} en {season}?",
            "Guía sencilla para recorrer {region}",
        ),
        fills={
            "region": ("Galicia", "Asturias", "la Alpujarra", "el Maestrazgo", "la costa de Cádiz"),
            "season": ("invierno", "otoño", "primavera"),
        },
    ),
    "cocina": Topic(
        lang="es",
        subjects=(
            "un guiso de lentejas",
            "la sartén de hierro",
            "el caldo casero",
            "un chorrito de aceite de oliva",
            "el pan del día anterior",
            "la olla exprés",
            "el sofrito",
            "una pizca de pimentón",
            "la tortilla del domingo",
            "el arroz sobrante",
            "el horno de casa",
            "un buen tomate de temporada",
        ),
        verbs=(
            "mejora de un día para otro",
            "perdona casi cualquier error",
            "da sabor sin tapar lo demás",
            "alarga una comida para cuatro hasta seis",
            "se congela bien en raciones pequeñas",
            "salva una salsa sosa",
            "calienta más de lo que marca",
            "aprovecha lo que queda en la nevera",
            "necesita paciencia y fuego lento",
            "cambia por completo un plato sencillo",
        ),
        past=(
            "se quemó mientras abría la puerta",
            "duró toda la semana",
            "dio de comer a ocho personas",
            "salió plana las tres primeras veces",
            "desapareció antes del segundo plato",
            "se convirtió en el favorito de la familia",
        ),
        times=(
            "una noche entre semana",
            "después de un día largo",
            "a final de mes",
            "un domingo por la tarde",
            "para llevar al trabajo",
            "en los últimos diez minutos",
            "la noche anterior",
            "en una cocina pequeña",
        ),
        conds=(
            "si el agua lleva suficiente sal",
            "si la sartén está bien caliente",
            "si la masa reposa toda la noche",
            "si se prueba a medida que se cocina",
            "si la cebolla tiene su tiempo",
        ),
        reasons=(
            "por eso siempre cocino el doble",
            "y los niños nunca notan las verduras",
            "aunque mi pareja lo prefiere sin nada",
            "porque ahorra tiempo y dinero",
            "lo que alivia mucho el fin de semana",
        ),
        facts=(
            "Las legumbres secas se cuecen mejor tras una noche en remojo.",
            "Un poco de vinagre al final despierta casi cualquier guiso.",
            "La cebolla tarda en caramelizar mucho más de lo que dicen las recetas.",
            "El pan duro es la base de muchos platos de aprovechamiento.",
        ),
        headings=(
            "Ingredientes",
            "Elaboración",
            "Por qué funciona",
            "Variantes",
            "Cómo guardar las sobras",
        ),
        titles=(
            "Un {dish} sencillo y barato",
            "{n} maneras de aprovechar {ingredient}",
            "El {dish} de mi abuela, más o menos",
            "Lo que aprendí tras un mes de {dish}",
        ),
        fills={
            "dish": (
                "guiso de lentejas",
                "potaje de garbanzos",
                "salmorejo",
                "arroz con verduras",
                "bizcocho de yogur",
            ),
            "ingredient": (
                "el pan duro",
                "el arroz sobrante",
                "los calabacines",
                "los plátanos maduros",
            ),
        },
    ),
    "dacha": Topic(
        lang="ru",
        subjects=(
            "компостная куча",
            "старая теплица",
            "грядка с клубникой",
            "бочка для дождевой воды",
            "наша глинистая почва",
            "яблоня у забора",
            "рассада на подоконнике",
            "мульча из скошенной травы",
            "кабачок",
            "сосед по участку",
            "ревень",
            "дешёвый термометр для почвы",
        ),
        verbs=(
            "требует больше внимания, чем пишут в книгах",
            "держит влагу гораздо лучше голой земли",
            "за один день привлекает слизней",
            "спасает молодые растения от заморозков",
            "даёт больше урожая, чем мы успеваем съесть",
            "выглядит неряшливо, но своё дело делает",
            "быстро пересыхает в жару",
            "трескается в августе",
            "любит горсть золы",
            "экономит мне много времени",
        ),
        past=(),
        times=(
            "ранней весной",
            "после дождливой недели",
            "к середине июня",
            "перед первыми заморозками",
            "тихим вечером",
            "в засушливое лето",
            "когда земля прогреется",
            "каждые выходные",
            "в защищённом углу участка",
        ),
        conds=(
            "если почва ещё холодная",
            "если поливать вечером, а не в полдень",
            "если ветер дует с востока",
            "если оставить место для воздуха",
            "если сеять понемногу",
        ),
        reasons=(
            "поэтому осенью я больше не перекапываю землю",
            "и это оправдывает все усилия",
            "хотя голуби с этим не согласны",
            "потому что корням так прохладнее",
            "что очень забавляет соседей",
        ),
        facts=(
            "Бобы, посеянные под зиму, часто опережают тлю на несколько недель.",
            "Слой картона под мульчей подавляет пырей лучше любой химии.",
            "Большинство пакетиков с семенами слишком оптимистичны насчёт всхожести.",
            "Листовой перегной созревает два года, но ничего не стоит.",
        ),
        headings=(
            "Что пошло не так",
            "Сначала почва",
            "О поливе",
            "Несколько слов о слизнях",
            "Планы на следующий год",
        ),
        titles=(
            "{n} уроков дождливой весны",
            "Почему я перестал перекапывать грядки",
            "Заметки о выращивании {crop}",
            "Урожай {crop}: итоги сезона",
        ),
        fills={"crop": ("кабачков", "чеснока", "клубники", "тыквы", "лука")},
    ),
    "chtenie": Topic(
        lang="ru",
        subjects=(
            "бумажная книга",
            "районная библиотека",
            "книжный клуб по четвергам",
            "старый букинистический магазин",
            "электронная читалка",
            "список книг на лето",
            "толстый роман",
            "сборник рассказов",
            "настольная лампа",
            "привычка читать перед сном",
            "полка в коридоре",
            "обмен книгами во дворе",
        ),
        verbs=(
            "помогает отвлечься после работы",
            "занимает больше времени, чем кажется",
            "открывает новых авторов",
            "собирает удивительно разных людей",
            "экономит место в маленькой квартире",
            "требует тишины и терпения",
            "спасает от скуки в долгой дороге",
            "напоминает о детстве",
            "меняет взгляд на привычные вещи",
            "стоит дешевле, чем поход в кино",
        ),
        past=(),
        times=(
            "зимними вечерами",
            "в электричке",
            "по выходным",
            "в отпуске",
            "перед сном",
            "во время дождя",
            "в обеденный перерыв",
            "летом на даче",
        ),
        conds=(
            "если читать хотя бы двадцать минут в день",
            "если выключить телефон",
            "если выбирать книги без спешки",
            "если обсуждать прочитанное с друзьями",
        ),
        reasons=(
            "поэтому я всегда ношу книгу в сумке",
            "и это лучший отдых",
            "хотя времени вечно не хватает",
            "потому что хорошая история не отпускает",
            "что удивляет моих коллег",
        ),
        facts=(
            "Двадцать минут чтения в день дают больше тридцати книг в год.",
            "В районных библиотеках часто есть новинки, о которых мало кто знает.",
            "Перечитывать любимые книги ничуть не стыдно.",
        ),
        headings=("С чего начать", "Что читать", "Где брать книги", "Книжный клуб", "Итоги"),
        titles=(
            "{n} книг, которые стоит прочитать зимой",
            "Зачем ходить в библиотеку",
            "Как я снова полюбил читать",
            "Заметки книжного клуба: {month}",
        ),
        fills={"month": ("январь", "февраль", "март", "апрель")},
    ),
    "cha": Topic(
        lang="zh",
        subjects=(
            "这把旧紫砂壶",
            "春天的绿茶",
            "楼下的小茶馆",
            "一壶普洱",
            "山上的老茶园",
            "朋友送的乌龙茶",
            "家里的电水壶",
            "这套简单的茶具",
            "清晨的第一泡茶",
            "茶叶罐",
            "小区里的茶友会",
            "一本关于茶的旧书",
        ),
        verbs=(
            "比想象中更耐泡",
            "需要用稍低的水温",
            "能让忙乱的早晨安静下来",
            "越放越有味道",
            "适合慢慢品",
            "总能吸引不少邻居",
            "价格并不贵",
            "能冲出淡淡的花香",
            "最怕受潮",
            "值得专门去一趟",
        ),
        past=(),
        times=(
            "在下雨的午后",
            "每天早上",
            "周末的时候",
            "春茶上市的季节",
            "晚饭以后",
            "出差的路上",
            "冬天的夜里",
            "客人来访时",
        ),
        conds=("只要水温合适", "如果茶叶保存得当", "只要不急着喝", "如果用山泉水"),
        reasons=(
            "所以我现在总是多备一些",
            "这也是我最喜欢的时刻",
            "虽然家人觉得有点麻烦",
            "因为味道确实不一样",
            "让朋友们很惊讶",
        ),
        facts=(
            "绿茶一般不宜用沸水直接冲泡。",
            "茶叶怕光、怕潮，也怕异味。",
            "好的茶不一定贵，合口味最重要。",
            "第一泡常常用来洗茶和温杯。",
        ),
        headings=("准备", "冲泡方法", "我的体会", "小贴士", "总结"),
        titles=(
            "关于{tea}的{n}点体会",
            "在家泡好{tea}的方法",
            "{tea}：从入门到喜欢",
            "我为什么爱上了{tea}",
        ),
        fills={"tea": ("绿茶", "普洱", "乌龙茶", "白茶", "红茶")},
    ),
    "jiachangcai": Topic(
        lang="zh",
        subjects=(
            "一锅番茄炒蛋",
            "妈妈的红烧肉",
            "这口铁锅",
            "周末包的饺子",
            "冰箱里剩下的米饭",
            "一碗简单的面条",
            "自己熬的骨头汤",
            "楼下菜市场",
            "一小把葱花",
            "家里的电饭锅",
            "这道凉拌黄瓜",
            "一瓶老抽",
        ),
        verbs=(
            "做法其实很简单",
            "第二天吃更香",
            "能让一桌菜更有味道",
            "是最省钱的选择",
            "适合忙碌的工作日",
            "总让孩子们抢着吃",
            "需要足够的耐心",
            "可以一次多做一些冷冻起来",
            "比外卖健康得多",
            "总能唤起小时候的回忆",
        ),
        past=(),
        times=(
            "下班回家以后",
            "周日的中午",
            "月底的时候",
            "过年的时候",
            "天冷的晚上",
            "来不及做饭的时候",
            "朋友来家里时",
            "早上出门前",
        ),
        conds=("只要火候掌握好", "如果提前腌一下", "只要调料放得恰当", "如果用新鲜的食材"),
        reasons=(
            "所以我每次都会多做一点",
            "这也是家里人最爱的一道菜",
            "虽然看起来不太精致",
            "因为又快又好吃",
            "让我省了不少时间",
        ),
        facts=(
            "炒菜之前先把锅烧热，可以减少粘锅。",
            "米饭隔夜后更适合做炒饭。",
            "汤要小火慢炖，味道才会浓。",
            "买菜前列个清单，能少花不少冤枉钱。",
        ),
        headings=("食材", "做法", "为什么好吃", "变化做法", "剩菜怎么办"),
        titles=("一道简单的{dish}", "{dish}的{n}个小窍门", "我家的{dish}", "在家做{dish}其实不难"),
        fills={"dish": ("番茄炒蛋", "红烧肉", "饺子", "炒饭", "骨头汤")},
    ),
}

# Page chrome, per language.  Boilerplate is what extractors must strip, so it is deliberately
# generous: menus, cookie banners, share bars, comment forms, related-article lists.
CHROME: dict[str, dict[str, str]] = {
    "en": {
        "home": "Home",
        "cookie": "We use cookies to personalise content and analyse our "
        'traffic. By clicking "Accept all" you agree to our use of cookies.',
        "accept": "Accept all",
        "manage": "Manage preferences",
        "related": "Related articles",
        "popular": "Popular tags",
        "share": "Share this article",
        "comments": "Leave a comment",
        "comment": "Comment",
        "name": "Name",
        "email": "Email (not published)",
        "submit": "Post comment",
        "rights": "All rights reserved.",
        "privacy": "Privacy policy",
        "imprint": "About us",
        "contact": "Contact",
        "by": "By",
        "newsletter": "Get new posts by email",
        "subscribe": "Subscribe",
        "licensed": "Text licensed under",
        "search": "Search",
        "ad": "Advertisement",
        "most_read": "Most read",
        "skip": "Skip to content",
        "menu": "Menu",
        "updated": "Last updated",
        "edit": "Edit this page",
        "categories": "Categories",
        "read_more": "Read more",
        "print": "Print",
        "back": "Back to top",
    },
    "de": {
        "home": "Startseite",
        "cookie": "Wir verwenden Cookies, um Inhalte zu personalisieren "
        'und Zugriffe zu analysieren. Mit "Alle akzeptieren" stimmen Sie der Nutzung zu.',
        "accept": "Alle akzeptieren",
        "manage": "Einstellungen",
        "related": "Ähnliche Artikel",
        "popular": "Beliebte Themen",
        "share": "Artikel teilen",
        "comments": "Kommentar schreiben",
        "comment": "Kommentar",
        "name": "Name",
        "email": "E-Mail (wird nicht veröffentlicht)",
        "submit": "Kommentar absenden",
        "rights": "Alle Rechte vorbehalten.",
        "privacy": "Datenschutz",
        "imprint": "Impressum",
        "contact": "Kontakt",
        "by": "Von",
        "newsletter": "Neue Beiträge per E-Mail",
        "subscribe": "Abonnieren",
        "licensed": "Text lizenziert unter",
        "search": "Suche",
        "ad": "Anzeige",
        "most_read": "Meistgelesen",
        "skip": "Zum Inhalt springen",
        "menu": "Menü",
        "updated": "Zuletzt aktualisiert",
        "edit": "Seite bearbeiten",
        "categories": "Kategorien",
        "read_more": "Weiterlesen",
        "print": "Drucken",
        "back": "Nach oben",
    },
    "fr": {
        "home": "Accueil",
        "cookie": "Nous utilisons des cookies pour personnaliser le contenu "
        'et analyser notre trafic. En cliquant sur "Tout accepter", vous acceptez leur '
        "utilisation.",
        "accept": "Tout accepter",
        "manage": "Paramétrer",
        "related": "Articles similaires",
        "popular": "Thèmes populaires",
        "share": "Partager l'article",
        "comments": "Laisser un commentaire",
        "comment": "Commentaire",
        "name": "Nom",
        "email": "E-mail (non publié)",
        "submit": "Publier",
        "rights": "Tous droits réservés.",
        "privacy": "Politique de confidentialité",
        "imprint": "Mentions légales",
        "contact": "Contact",
        "by": "Par",
        "newsletter": "Recevoir les articles par e-mail",
        "subscribe": "S'abonner",
        "licensed": "Texte sous licence",
        "search": "Rechercher",
        "ad": "Publicité",
        "most_read": "Les plus lus",
        "skip": "Aller au contenu",
        "menu": "Menu",
        "updated": "Mis à jour le",
        "edit": "Modifier la page",
        "categories": "Catégories",
        "read_more": "Lire la suite",
        "print": "Imprimer",
        "back": "Haut de page",
    },
    "es": {
        "home": "Inicio",
        "cookie": "Utilizamos cookies para personalizar el contenido y "
        'analizar el tráfico. Al pulsar "Aceptar todo" aceptas su uso.',
        "accept": "Aceptar todo",
        "manage": "Configurar",
        "related": "Artículos relacionados",
        "popular": "Temas populares",
        "share": "Compartir artículo",
        "comments": "Deja un comentario",
        "comment": "Comentario",
        "name": "Nombre",
        "email": "Correo (no se publicará)",
        "submit": "Publicar comentario",
        "rights": "Todos los derechos reservados.",
        "privacy": "Política de privacidad",
        "imprint": "Aviso legal",
        "contact": "Contacto",
        "by": "Por",
        "newsletter": "Recibe las novedades por correo",
        "subscribe": "Suscribirse",
        "licensed": "Texto bajo licencia",
        "search": "Buscar",
        "ad": "Publicidad",
        "most_read": "Lo más leído",
        "skip": "Ir al contenido",
        "menu": "Menú",
        "updated": "Actualizado",
        "edit": "Editar página",
        "categories": "Categorías",
        "read_more": "Leer más",
        "print": "Imprimir",
        "back": "Volver arriba",
    },
    "ru": {
        "home": "Главная",
        "cookie": "Мы используем файлы cookie для персонализации контента и "
        "анализа трафика. Нажимая «Принять все», вы соглашаетесь с их использованием.",
        "accept": "Принять все",
        "manage": "Настройки",
        "related": "Похожие статьи",
        "popular": "Популярные темы",
        "share": "Поделиться",
        "comments": "Оставить комментарий",
        "comment": "Комментарий",
        "name": "Имя",
        "email": "Эл. почта (не публикуется)",
        "submit": "Отправить",
        "rights": "Все права защищены.",
        "privacy": "Политика конфиденциальности",
        "imprint": "О проекте",
        "contact": "Контакты",
        "by": "Автор:",
        "newsletter": "Новые статьи на почту",
        "subscribe": "Подписаться",
        "licensed": "Текст доступен по лицензии",
        "search": "Поиск",
        "ad": "Реклама",
        "most_read": "Самое читаемое",
        "skip": "Перейти к содержанию",
        "menu": "Меню",
        "updated": "Обновлено",
        "edit": "Редактировать",
        "categories": "Рубрики",
        "read_more": "Читать далее",
        "print": "Печать",
        "back": "Наверх",
    },
    "zh": {
        "home": "首页",
        "cookie": "本网站使用Cookie来改善您的浏览体验。点击“全部接受”即表示您同意使用Cookie。",
        "accept": "全部接受",
        "manage": "管理设置",
        "related": "相关文章",
        "popular": "热门标签",
        "share": "分享本文",
        "comments": "发表评论",
        "comment": "评论",
        "name": "昵称",
        "email": "邮箱（不会公开）",
        "submit": "提交评论",
        "rights": "版权所有。",
        "privacy": "隐私政策",
        "imprint": "关于我们",
        "contact": "联系我们",
        "by": "作者：",
        "newsletter": "订阅更新",
        "subscribe": "订阅",
        "licensed": "本文采用许可协议",
        "search": "搜索",
        "ad": "广告",
        "most_read": "最多阅读",
        "skip": "跳到正文",
        "menu": "菜单",
        "updated": "最后更新",
        "edit": "编辑",
        "categories": "分类",
        "read_more": "阅读全文",
        "print": "打印",
        "back": "返回顶部",
    },
}

AUTHORS: dict[str, tuple[str, ...]] = {
    "en": (
        "Helen Marsh",
        "Tom Abernethy",
        "Priya Natarajan",
        "Owen Hartley",
        "Ruth Keeling",
        "Sam Okafor",
        "Claire Whitcombe",
        "Daniel Ferris",
        "editorial team",
    ),
    "de": ("Jana Vogt", "Matthias Kern", "Sabine Lorenz", "Felix Brandt"),
    "fr": ("Camille Roussel", "Julien Marchand", "Élodie Fabre"),
    "es": ("Lucía Romero", "Javier Ortega", "Marta Salvador"),
    "ru": ("Ольга Смирнова", "Павел Орлов"),
    "zh": ("林小雨", "陈伟"),
}

LICENSES: dict[str, tuple[str, str, str]] = {
    # key: (SPDX id, URL, human label)
    "by": ("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/", "CC BY 4.0"),
    "by-sa": ("CC-BY-SA-4.0", "https://creativecommons.org/licenses/by-sa/4.0/", "CC BY-SA 4.0"),
    "cc0": ("CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0"),
}


@dataclass(frozen=True)
class Site:
    """A fictional website: host, language, topics, page layout and licence."""

    key: str
    host: str
    name: str
    lang: str
    topics: tuple[str, ...]
    sections: tuple[str, ...]
    style: str  # blog | news | wiki | retro | farm
    url_style: str  # dated | section | wiki | query | numeric
    license: str | None = None
    self_canonical: bool = False
    html_lang: str | None = None  # value of <html lang>; None means attribute omitted


SITES: dict[str, Site] = {
    s.key: s
    for s in (
        Site(
            "allotment",
            "www.allotment-diary.example",
            "The Allotment Diary",
            "en",
            ("gardening",),
            ("Vegetables", "Fruit", "Soil", "Diary"),
            "blog",
            "dated",
            license="by",
            html_lang="en-GB",
        ),
        Site(
            "cycling",
            "northfield-cc.example.org",
            "Northfield Cycling Club",
            "en",
            ("cycling",),
            ("Rides", "Kit", "Club news", "Routes"),
            "retro",
            "query",
            html_lang="en",
        ),
        Site(
            "kitchen",
            "kitchen-ledger.example.com",
            "Kitchen Ledger",
            "en",
            ("cooking",),
            ("Recipes", "Basics", "Budget", "Baking"),
            "blog",
            "section",
            license="cc0",
            html_lang="en",
        ),
        Site(
            "stargazer",
            "stargazer-notes.example.net",
            "Stargazer Notes",
            "en",
            ("astronomy",),
            ("Observing", "Equipment", "Sky this month"),
            "blog",
            "dated",
            self_canonical=True,
            html_lang="en",
        ),
        Site(
            "history",
            "wiki.townhistory.example.org",
            "Town History Wiki",
            "en",
            ("local_history",),
            ("Places", "People", "Sources"),
            "wiki",
            "wiki",
            license="by-sa",
            self_canonical=True,
            html_lang="en",
        ),
        Site(
            "devjournal",
            "devjournal.example.com",
            "Dev Journal",
            "en",
            ("software",),
            ("Engineering", "Operations", "Culture"),
            "blog",
            "dated",
            self_canonical=True,
            html_lang="en-US",
        ),
        Site(
            "thrifty",
            "thrifty-household.example",
            "The Thrifty Household",
            "en",
            ("home_finance",),
            ("Budgeting", "Energy", "Repairs", "Shopping"),
            "blog",
            "section",
            html_lang="en-GB",
        ),
        Site(
            "gazette",
            "www.riverside-gazette.example.com",
            "Riverside Gazette",
            "en",
            ("local_history", "home_finance", "cycling", "gardening", "cooking", "astronomy"),
            ("News", "Community", "Lifestyle", "Opinion", "Sport"),
            "news",
            "numeric",
            html_lang="en-GB",
        ),
        Site(
            "plot",
            "weekend-plot.example",
            "Weekend Plot",
            "en",
            ("gardening", "cooking"),
            ("Garden", "Kitchen", "Notes"),
            "retro",
            "dated",
            html_lang=None,
        ),
        Site(
            "gartenwelt",
            "gartenwelt-blog.example",
            "Gartenwelt",
            "de",
            ("garten",),
            ("Gemüse", "Obst", "Boden", "Tagebuch"),
            "blog",
            "dated",
            html_lang="de",
        ),
        Site(
            "radtouren",
            "radtouren-nord.example",
            "Radtouren Nord",
            "de",
            ("radfahren",),
            ("Touren", "Technik", "Verein"),
            "retro",
            "numeric",
            html_lang="de-DE",
        ),
        Site(
            "cuisine",
            "cuisine-du-marche.example",
            "Cuisine du marché",
            "fr",
            ("cuisine",),
            ("Recettes", "Bases", "Saisons"),
            "blog",
            "section",
            html_lang="fr",
        ),
        Site(
            "sentiers",
            "sentiers-et-refuges.example",
            "Sentiers et refuges",
            "fr",
            ("randonnee",),
            ("Itinéraires", "Matériel", "Refuges"),
            "blog",
            "dated",
            html_lang="fr-FR",
        ),
        Site(
            "viajes",
            "viajes-lentos.example",
            "Viajes lentos",
            "es",
            ("viajes",),
            ("Destinos", "Consejos", "Rutas"),
            "blog",
            "dated",
            html_lang="es",
        ),
        Site(
            "cocina",
            "cocina-de-casa.example",
            "Cocina de casa",
            "es",
            ("cocina",),
            ("Recetas", "Básicos", "Temporada"),
            "blog",
            "section",
            html_lang="es-ES",
        ),
        Site(
            "dachnik",
            "dachnik-zametki.example",
            "Заметки дачника",
            "ru",
            ("dacha",),
            ("Огород", "Сад", "Советы"),
            "blog",
            "numeric",
            html_lang="ru",
        ),
        Site(
            "chitatel",
            "chitatel-klub.example",
            "Клуб читателей",
            "ru",
            ("chtenie",),
            ("Книги", "Клуб", "Рецензии"),
            "blog",
            "numeric",
            html_lang="ru",
        ),
        Site(
            "chayi",
            "chayi-biji.example",
            "茶艺笔记",
            "zh",
            ("cha",),
            ("绿茶", "乌龙", "茶具"),
            "blog",
            "numeric",
            html_lang="zh-CN",
        ),
        Site(
            "jiachang",
            "jiachang-cai.example",
            "家常菜谱",
            "zh",
            ("jiachangcai",),
            ("家常菜", "汤羹", "面食"),
            "blog",
            "numeric",
            html_lang="zh-Hans",
        ),
        # Sites that only host copies, machine-written filler or junk.
        Site(
            "digest",
            "news-digest.example",
            "News Digest",
            "en",
            (),
            ("Top stories", "World", "Lifestyle"),
            "news",
            "numeric",
            html_lang="en",
        ),
        Site(
            "mirror",
            "archive-mirror.example",
            "Archive Mirror",
            "en",
            (),
            ("Archive",),
            "retro",
            "query",
            html_lang=None,
        ),
        Site(
            "guides",
            "smart-guides-hub.example",
            "Smart Guides Hub",
            "en",
            (),
            ("Guides", "Lifestyle", "Tech", "Money"),
            "farm",
            "section",
            html_lang="en",
        ),
        Site(
            "answers",
            "insightful-answers.example",
            "Insightful Answers",
            "en",
            (),
            ("Answers",),
            "farm",
            "query",
            html_lang="en",
        ),
        Site(
            "ratgeber",
            "ratgeber-kompakt.example",
            "Ratgeber Kompakt",
            "de",
            (),
            ("Ratgeber",),
            "farm",
            "section",
            html_lang="de",
        ),
        Site(
            "deals",
            "best-deals-4u.example",
            "BEST DEALS 4U",
            "en",
            (),
            ("Flights", "Phones", "Loans"),
            "farm",
            "section",
            html_lang=None,
        ),
        Site(
            "billig",
            "billig-reisen-24.example",
            "Billig Reisen 24",
            "de",
            (),
            ("Angebote",),
            "farm",
            "section",
            html_lang="de",
        ),
        Site(
            "placeholder",
            "placeholder-site.example",
            "My New Site",
            "en",
            (),
            ("Home", "Blog"),
            "blog",
            "query",
            html_lang="en",
        ),
        Site(
            "linkfarm",
            "top-links-directory.example",
            "Top Links Directory",
            "en",
            (),
            ("Directory",),
            "retro",
            "query",
            html_lang="en",
        ),
    )
}

# Normal article pages per site (before duplicates and other planted cases are added).
ARTICLES_PER_SITE: dict[str, int] = {
    "allotment": 12,
    "cycling": 18,
    "kitchen": 8,
    "stargazer": 16,
    "history": 10,
    "devjournal": 20,
    "thrifty": 18,
    "gazette": 21,
    "plot": 14,
    "gartenwelt": 16,
    "radtouren": 14,
    "cuisine": 10,
    "sentiers": 8,
    "viajes": 10,
    "cocina": 8,
    "dachnik": 6,
    "chitatel": 5,
    "chayi": 5,
    "jiachang": 4,
}

# Extra banks: machine-written prose, PII, hard negatives and junk.

AI_TOPICS_EN: tuple[str, ...] = (
    "gardening on a budget",
    "urban cycling",
    "meal planning",
    "amateur astronomy",
    "researching local history",
    "software testing",
    "personal budgeting",
    "sustainable travel",
    "time management",
    "remote work",
    "home organisation",
    "learning a new language",
)
AI_AUDIENCE = (
    "beginners",
    "busy parents",
    "students",
    "retirees",
    "small teams",
    "young professionals",
    "families",
    "enthusiasts of all ages",
    "remote workers",
)
AI_BENEFIT = (
    "overall well-being",
    "productivity",
    "long-term success",
    "peace of mind",
    "personal growth",
    "financial stability",
    "a sense of fulfilment",
    "work-life balance",
)
AI_OPENERS_EN = (
    "Certainly! Here's a comprehensive guide to {topic}.",
    "Sure! Below is a detailed overview of {topic}, tailored for {audience}.",
    "As an AI language model, I don't have personal experiences, but I can share some general "
    "information about {topic}.",
    "Great question! {Topic} is a fascinating subject that many people find rewarding.",
    "In today's fast-paced world, {topic} has become more important than ever.",
    "Absolutely! Let's explore {topic} together.",
)
AI_BODY_EN = (
    "It's important to note that {topic} can look very different depending on your circumstances.",
    "Let's delve into the key aspects of {topic} and explore how they can benefit {audience}.",
    "{Topic} is a rich tapestry of tradition, innovation, and personal discovery.",
    "Whether you're a beginner or a seasoned expert, understanding {topic} can unlock new "
    "possibilities.",
    "By embracing {topic}, {audience} can navigate the complexities of modern life with "
    "confidence.",
    "This holistic approach ensures that every aspect of {topic} is carefully considered.",
    "Furthermore, it is crucial to consider the broader landscape of {topic}.",
    "Ultimately, the journey of {topic} is just as important as the destination.",
    "Additionally, {topic} fosters a sense of community and belonging among {audience}.",
    "Moreover, it plays a pivotal role in enhancing {benefit}.",
    "Remember, consistency is key when it comes to {topic}.",
    "It's worth noting that there is no one-size-fits-all solution for {audience}.",
    "In the realm of {topic}, small steps can lead to transformative results.",
    "Navigating the world of {topic} can feel overwhelming at first, but it doesn't have to be.",
    "Embarking on this journey allows {audience} to cultivate {benefit}.",
    "The benefits of {topic} extend far beyond the obvious, touching every facet of daily life.",
    "Striking the right balance is essential for {benefit}.",
    "It is essential to approach {topic} with an open mind and a willingness to learn.",
    "{Topic} offers a unique opportunity to foster {benefit} in a meaningful way.",
    "By leveraging the right resources, {audience} can maximize the impact of {topic}.",
    "This comprehensive approach empowers {audience} to make informed decisions.",
    "As we explore this topic further, it becomes clear that {topic} is more than just a hobby.",
    "Each step in the process contributes to a seamless and rewarding experience.",
    "It's also important to stay mindful of potential challenges along the way.",
    "Experts agree that {topic} can significantly improve {benefit}.",
    "With careful planning and dedication, {audience} can achieve remarkable results.",
    "The key is to find an approach that aligns with your unique goals and values.",
    "In essence, {topic} serves as a gateway to {benefit}.",
    "Building a strong foundation is crucial for anyone interested in {topic}.",
    "Another important aspect to consider is the role of community support.",
    "When it comes to {topic}, knowledge truly is power.",
    "Staying informed about the latest trends in {topic} can give {audience} a competitive edge.",
    "Don't be afraid to experiment and discover what works best for you.",
    "This not only saves time but also enhances {benefit}.",
    "It's crucial to set realistic expectations from the very beginning.",
    "Taking the time to reflect on your progress can be incredibly rewarding.",
    "These strategies can help {audience} unlock their full potential.",
    "Ultimately, the most important thing is to enjoy the process.",
)
AI_ASPECTS_EN = (
    "Planning",
    "Preparation",
    "Consistency",
    "Community",
    "Resources",
    "Mindset",
    "Safety",
    "Sustainability",
    "Flexibility",
    "Budgeting",
    "Self-care",
    "Research",
)
AI_ASPECT_LINES_EN = (
    "{label} is essential for achieving optimal results in {topic}.",
    "Prioritizing {label_l} helps ensure a seamless and rewarding experience.",
    "Investing in {label_l} can pay dividends for {audience}.",
    "A thoughtful focus on {label_l} lays the groundwork for {benefit}.",
    "Never underestimate the power of {label_l} when it comes to {topic}.",
    "{label} allows you to adapt to changing circumstances with ease.",
)
AI_CLOSERS_EN = (
    "In conclusion, {topic} is a multifaceted endeavor that offers countless benefits for "
    "{audience}.",
    "In conclusion, by following these tips, you can embark on a journey of growth and discovery.",
    "In summary, {topic} represents a vibrant tapestry of opportunities waiting to be explored.",
    "Overall, embracing {topic} can lead to {benefit} and a more fulfilling life.",
)
AI_FOLLOWUPS_EN = (
    "I hope this helps! Let me know if you have any other questions.",
    "Feel free to ask if you'd like more detailed information on any of these points.",
    "",
)
AI_TITLES_EN = (
    "The Ultimate Guide to {Title}",
    "{n} Essential Tips for {Title}",
    "Unlocking the Secrets of {Title}",
    "Everything You Need to Know About {Title}",
    "Navigating the World of {Title}: A Comprehensive Guide",
)
AI_HEADINGS_EN = (
    "Understanding the Basics",
    "Why It Matters",
    "Key Considerations",
    "Getting Started",
    "Common Challenges",
)
AI_FOREIGN: dict[str, dict[str, tuple[str, ...]]] = {
    "de": {
        "topics": ("nachhaltiges Gärtnern", "das Radfahren im Alltag", "gesunde Ernährung"),
        "openers": (
            "Natürlich! Hier ist ein umfassender Überblick über {topic}.",
            "Als KI-Sprachmodell habe ich keine persönlichen Erfahrungen, aber ich kann Ihnen "
            "einige allgemeine Informationen zu {topic} geben.",
        ),
        "body": (
            "Es ist wichtig zu beachten, dass {topic} von individuellen Umständen abhängt.",
            "Tauchen wir tiefer in die wichtigsten Aspekte von {topic} ein.",
            "{Topic} ist ein reichhaltiges Geflecht aus Tradition, Innovation und persönlicher "
            "Entdeckung.",
            "Egal, ob Sie Anfänger oder erfahrener Profi sind: {Topic} eröffnet neue "
            "Möglichkeiten.",
            "Darüber hinaus spielt {topic} eine entscheidende Rolle für das allgemeine "
            "Wohlbefinden.",
            "Letztendlich ist der Weg genauso wichtig wie das Ziel.",
            "Denken Sie daran: Beständigkeit ist der Schlüssel zum Erfolg.",
            "Zudem fördert {topic} ein Gefühl von Gemeinschaft und Zugehörigkeit.",
            "Mit sorgfältiger Planung und Hingabe lassen sich bemerkenswerte Ergebnisse erzielen.",
            "Ein ganzheitlicher Ansatz stellt sicher, dass jeder Aspekt berücksichtigt wird.",
        ),
        "aspects": (
            "Planung: Eine gute Planung ist das Fundament für nachhaltigen Erfolg.",
            "Beständigkeit: Kleine, regelmäßige Schritte führen zu großen Ergebnissen.",
            "Gemeinschaft: Der Austausch mit Gleichgesinnten bereichert die Erfahrung.",
            "Flexibilität: Passen Sie Ihren Ansatz an veränderte Umstände an.",
        ),
        "closers": (
            "Zusammenfassend lässt sich sagen, dass {topic} eine vielschichtige Reise voller "
            "Möglichkeiten ist.",
            "Ich hoffe, das hilft! Lassen Sie mich wissen, wenn Sie weitere Fragen haben.",
        ),
        "titles": ("Der ultimative Leitfaden: {Topic}", "{Topic}: Alles, was Sie wissen müssen"),
        "headings": ("Die Grundlagen", "Wichtige Aspekte", "Fazit"),
    },
    "fr": {
        "topics": ("la cuisine de saison", "la randonnée en famille"),
        "openers": (
            "Bien sûr ! Voici un aperçu complet de {topic}.",
            "En tant que modèle de langage IA, je n'ai pas d'expérience personnelle, mais voici "
            "quelques informations générales sur {topic}.",
        ),
        "body": (
            "Il est important de noter que {topic} dépend de nombreux facteurs.",
            "Plongeons dans les aspects essentiels de {topic}.",
            "{Topic} est une riche tapisserie de traditions, d'innovation et de découvertes.",
            "Que vous soyez débutant ou expert chevronné, {topic} ouvre de nouvelles perspectives.",
            "De plus, {topic} joue un rôle essentiel dans le bien-être général.",
            "En fin de compte, le voyage compte autant que la destination.",
            "Une approche holistique garantit que chaque aspect est pris en compte.",
            "N'oubliez pas : la régularité est la clé du succès.",
            "Avec une planification soignée, vous obtiendrez des résultats remarquables.",
        ),
        "aspects": (
            "Planification : une bonne organisation est la base de tout succès.",
            "Régularité : de petits pas réguliers mènent à de grands résultats.",
            "Communauté : partager son expérience enrichit le parcours.",
        ),
        "closers": (
            "En conclusion, {topic} est une aventure aux multiples facettes.",
            "J'espère que cela vous aide ! N'hésitez pas si vous avez d'autres questions.",
        ),
        "titles": ("Le guide ultime de {topic}", "Tout ce qu'il faut savoir sur {topic}"),
        "headings": ("Les bases", "Points clés", "Conclusion"),
    },
}
AI_TELLS: tuple[str, ...] = (
    "As an AI language model",
    "Certainly!",
    "Sure!",
    "Absolutely!",
    "Great question!",
    "In conclusion",
    "In summary",
    "delve",
    "tapestry",
    "It's important to note",
    "It's worth noting",
    "In today's fast-paced world",
    "I hope this helps",
    "navigate the complexities",
    "embark on a journey",
    "pivotal role",
    "holistic",
    "seamless",
    "Als KI-Sprachmodell",
    "Natürlich!",
    "Zusammenfassend",
    "Tauchen wir",
    "Geflecht",
    "Es ist wichtig zu beachten",
    "ganzheitlich",
    "En tant que modèle de langage",
    "Bien sûr",
    "En conclusion",
    "tapisserie",
    "Il est important de noter",
    "Plongeons",
    "holistique",
)

PII_TEXT: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "email": (
            "If you spot a mistake, write to {email} and I will correct it.",
            "Questions about this piece can go to {email}.",
            "Send your photos to {email} and we may feature them next month.",
            "The organiser, {name}, can be reached at {email}.",
        ),
        "phone": (
            "For bookings, call {phone} between nine and five.",
            "If the gate is locked, ring {phone} and someone will come down.",
            "You can leave a message for {name} on {phone}.",
        ),
        "ipv4": (
            "Our logs showed hundreds of requests from {ip} that week.",
            "Point your browser at {ip} to reach the router's settings page.",
            "The old build server sat at {ip} until we retired it.",
        ),
    },
    "de": {
        "email": (
            "Fragen und Korrekturen bitte an {email}.",
            "Fotos könnt ihr an {email} schicken, {name} sammelt sie.",
        ),
        "phone": (
            "Anmeldung telefonisch unter {phone}.",
            "Wer Fragen hat, erreicht {name} unter {phone}.",
        ),
        "ipv4": (
            "Der alte Server unter {ip} ist inzwischen abgeschaltet.",
            "Die Einstellungen des Routers erreicht man unter {ip}.",
        ),
    },
    "fr": {
        "email": (
            "Pour toute question, écrivez à {email}.",
            "Vos photos sont les bienvenues à l'adresse {email}.",
        ),
        "phone": (
            "Réservations au {phone}, du lundi au vendredi.",
            "On peut joindre {name} au {phone}.",
        ),
        "ipv4": ("Le vieux serveur à l'adresse {ip} a été arrêté.",),
    },
    "es": {
        "email": ("Si tienes dudas, escribe a {email}.",),
        "phone": ("Reservas en el {phone}.", "Puedes llamar a {name} al {phone}."),
        "ipv4": ("El antiguo servidor en {ip} ya no está activo.",),
    },
    "ru": {
        "email": ("Вопросы и замечания присылайте на {email}.",),
        "phone": ("Записаться можно по телефону {phone}.",),
        "ipv4": ("Старый сервер по адресу {ip} уже отключён.",),
    },
    "zh": {
        "email": ("如有问题，请发邮件到{email}。",),
        "phone": ("预约请拨打{phone}。",),
        "ipv4": ("旧服务器的地址是{ip}，现在已经停用。",),
    },
}
EMAIL_LOCAL = (
    "helen.marsh",
    "t.abernethy",
    "priya.n",
    "owen.hartley",
    "ruth.keeling",
    "sam.okafor",
    "claire.w",
    "dan.ferris",
    "jana.vogt",
    "camille.roussel",
    "lucia.romero",
    "olga.s",
    "lin.xiaoyu",
    "bookings",
    "editor",
    "club.secretary",
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
# Numbers from ranges reserved for fiction/documentation where they exist.
PHONE_FORMATS: dict[str, tuple[str, ...]] = {
    "en": (
        "+44 20 7946 0{a:03d}",
        "+44 (0)20 7946 0{a:03d}",
        "+1 202-555-01{b:02d}",
        "+1 (312) 555-01{b:02d}",
        "+61 491 570 156",
        "+61 491 570 737",
    ),
    "de": ("+49 30 23125 {a:03d}", "0049 30 23125{a:03d}"),
    "fr": ("+33 1 99 00 {b:02d} {c:02d}",),
    "es": ("+34 91 555 {b:02d} {c:02d}",),
    "ru": ("+7 495 555-{b:02d}-{c:02d}",),
    "zh": ("+86 10 5555 {d:04d}",),
}
HARD_NEGATIVES: dict[str, tuple[str, ...]] = {
    "en": (
        "The firmware was finally updated to version {ver} on {isodate}.",
        "The paperback edition (ISBN {isbn}) costs {price} in most shops.",
        "Build {build} fixed the crash we first reported on {usdate}.",
        "Section {sec} of the manual covers the same ground in more detail.",
        "The reference number on the invoice was {order}, dated {isodate}.",
        "Tickets cost {price} for adults, and the exhibition runs until {isodate}.",
    ),
    "de": (
        "Die Firmware wurde am {dedate} auf Version {ver} aktualisiert.",
        "Das Taschenbuch (ISBN {isbn}) kostet {deprice}.",
    ),
    "fr": (
        "La version {ver} du logiciel est sortie le {frdate}.",
        "Le livre (ISBN {isbn}) coûte {deprice}.",
    ),
}
HN_VALUES: dict[str, tuple[str, ...]] = {
    "ver": ("1.2.3.4", "2.10.4.1", "4.0.12.7", "10.2.0.15"),
    "build": ("10.0.19045.3803", "6.1.7601.24544"),
    "isbn": ("978-0-306-40615-7", "978-1-4028-9462-6", "0-306-40615-2", "978-3-16-148410-0"),
    "price": ("$1,299.00", "£12.50", "€49.90", "$19.99"),
    "deprice": ("49,90 €", "12,50 €"),
    "isodate": ("2024-03-15", "2023-11-02", "2024-05-21"),
    "usdate": ("03/15/2024", "11/02/2023"),
    "dedate": ("15.03.2024", "02.11.2023"),
    "frdate": ("15/03/2024", "02/11/2023"),
    "sec": ("12.4.1", "3.2.10"),
    "order": ("4471-2280-1934-06", "2024-118-4471"),
}
HN_KIND = {
    "ver": "version_number",
    "build": "version_number",
    "isbn": "isbn",
    "price": "price",
    "deprice": "price",
    "isodate": "date",
    "usdate": "date",
    "dedate": "date",
    "frdate": "date",
    "sec": "section_number",
    "order": "reference_number",
}

LOREM = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt "
    "ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco "
    "laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate "
    "velit esse cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident "
    "sunt culpa qui officia deserunt mollit anim id est laborum"
).split()
SPAM_KEYWORDS: dict[str, tuple[str, ...]] = {
    "flights": (
        "cheap flights",
        "cheap flights 2024",
        "best cheap flights",
        "last minute flights",
        "cheap airline tickets",
        "discount flights",
        "cheap flights today",
    ),
    "phones": (
        "cheap phones",
        "best phone deals",
        "unlocked phones cheap",
        "phone deals today",
        "buy cheap smartphone",
    ),
    "loans": (
        "fast loans",
        "instant loans online",
        "loans no credit check",
        "best loans 2024",
        "cheap loans today",
    ),
    "reisen": (
        "billig reisen",
        "günstige flüge",
        "last minute reisen billig",
        "urlaub billig buchen",
        "billig flüge 2024",
    ),
}
SPAM_FILLERS = (
    "",
    "",
    " now",
    " online",
    " deals",
    "!",
    " best price",
    " click here",
    " 2024",
    " free",
    " top",
)
JS_LINES: dict[str, tuple[str, ...]] = {
    "en": (
        "JavaScript is required to view this page.",
        "Please enable JavaScript in your browser settings and reload the page.",
        "This website uses cookies to ensure you get the best experience on our website.",
        "By continuing to browse, you agree to our cookie policy.",
        "Loading...",
        "Your browser is not supported. Please upgrade to a modern browser.",
        "Please wait while we check your browser...",
        "Enable cookies to continue.",
    ),
    "de": (
        "JavaScript ist erforderlich, um diese Seite anzuzeigen.",
        "Bitte aktivieren Sie JavaScript in Ihren Browsereinstellungen.",
        "Diese Website verwendet Cookies.",
        "Mit der weiteren Nutzung stimmen Sie unserer Cookie-Richtlinie zu.",
        "Wird geladen ...",
    ),
}

Block = tuple[str, object]  # ("p", str) | ("h2", str) | ("ol", list[str]) | ("links", list)


def cap(text: str) -> str:
    """Upper-case the first character only (str.capitalize would lower the rest)."""
    return text[:1].upper() + text[1:]


def count_words(text: str, lang: str) -> int:
    """Whitespace tokens, or Han characters for Chinese (which has no spaces)."""
    if lang == "zh":
        return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return len(text.split())


def block_text(block: Block) -> str:
    """Plain text of one content block, as an extractor would ideally see it."""
    kind, payload = block
    if kind in ("p", "h2"):
        return str(payload)
    if kind == "ol":
        return "\n".join(str(x) for x in payload)  # type: ignore[union-attr]
    if kind == "links":
        return "\n".join(text for _href, text in payload)  # type: ignore[union-attr]
    raise ValueError(kind)


def slugify(text: str) -> str:
    """ASCII URL slug; non-Latin titles fall back to 'post' (ids keep URLs unique)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].strip("-") or "post"


# How many passes a page may make through a deck.  Subjects are short noun phrases and may
# come back once (real prose names its subject again); months and small numbers are single
# tokens.  Everything else -- verb phrases, times, conditions, reasons, facts, asides, people,
# and templates with fixed words -- is used at most once per page, because a repeated clause of
# five or more words is exactly what Gopher's duplicated-n-gram rules (and readers) punish.
DECK_PASSES = {"S": 2, "month": 3, "n": 3, "unit": 3, "who": 3}
# Placeholder -> deck.  `S`/`S_cap`, `T`/`T_cap` and `P`/`P_cap` share one draw per sentence.
SLOT_DECK = {
    "S": "S",
    "S_cap": "S",
    "S2": "S",
    "V": "V",
    "V2": "V",
    "VP": "VP",
    "T": "T",
    "T_cap": "T",
    "C": "C",
    "R": "R",
    "P": "P",
    "P_cap": "P",
    "F": "F",
    "A": "A",
    "month": "month",
    "n": "n",
    "unit": "unit",
    "who": "who",
}
SLOT_SHARED = {"S_cap": "S", "T_cap": "T", "P_cap": "P"}


class TextGen:
    """Sentence/paragraph/article generator for one topic, driven by a private RNG.

    Fragments are dealt from per-page decks that are not reshuffled once empty (see
    `DECK_PASSES`), so a page never repeats a clause, a sentence or a fixed opener; a page
    ends when its vocabulary runs out rather than by recycling it.
    """

    def __init__(self, topic_key: str, rng: random.Random) -> None:
        self.topic = TOPICS[topic_key]
        self.grammar = GRAMMARS[self.topic.lang]
        self.rng = rng
        self.used: set[str] = set()
        self.used_templates: set[str] = set()
        self.headings = list(self.topic.headings)
        rng.shuffle(self.headings)
        self.decks: dict[str, list[str]] = {}

    def options(self, deck: str) -> tuple[str, ...]:
        t, g = self.topic, self.grammar
        return {
            "S": t.subjects,
            "V": t.verbs,
            "VP": t.past,
            "T": t.times,
            "C": t.conds,
            "R": t.reasons,
            "F": t.facts,
            "A": g.asides,
            "P": g.people,
            "month": g.months,
            "n": g.numbers,
            "unit": g.units,
            "who": g.who,
        }[deck]

    def deck(self, name: str) -> list[str]:
        """The page's remaining phrases for one slot: a few shuffled passes, drawn from the end."""
        deck = self.decks.get(name)
        if deck is None:
            deck = []
            for _ in range(DECK_PASSES.get(name, 1)):
                one = list(self.options(name))
                self.rng.shuffle(one)
                deck = one + deck
            self.decks[name] = deck
        return deck

    def fill(self, tpl: str) -> str | None:
        """The template with fresh phrases, or None if a deck it needs is used up."""
        names = set(re.findall(r"\{(\w+)\}", tpl))
        bases = sorted({SLOT_SHARED.get(n, n) for n in names})
        need = Counter(SLOT_DECK[b] for b in bases)
        if any(len(self.deck(d)) < k for d, k in need.items()):
            return None
        drawn = {b: self.deck(SLOT_DECK[b]).pop() for b in bases}
        values = {n: cap(drawn[SLOT_SHARED[n]]) if n in SLOT_SHARED else drawn[n] for n in names}
        return tpl.format(**values)

    def sentence(self) -> str | None:
        """A sentence not yet used on this page, or None once the page's vocabulary is spent.

        A template with fixed words ("In my experience, ...") is used once per page; the
        bare ones ("{S_cap} {V}.") may recur, since their words all come from the decks.
        """
        templates = list(self.grammar.templates)
        self.rng.shuffle(templates)
        for tpl in templates:
            if tpl in self.used_templates:
                continue
            text = self.fill(tpl)
            if text is None or text in self.used:
                continue
            if any(ch.isalpha() for ch in re.sub(r"\{\w+\}", "", tpl)):
                self.used_templates.add(tpl)
            self.used.add(text)
            return text
        return None

    def paragraph(self, n_sentences: int) -> str:
        """Up to n sentences (fewer, possibly none, once the vocabulary runs out)."""
        sep = "" if self.topic.lang == "zh" else " "
        out = []
        for _ in range(n_sentences):
            text = self.sentence()
            if text is None:
                break
            out.append(text)
        return sep.join(out)

    def title(self) -> str:
        tpl = self.rng.choice(self.topic.titles)
        slots = {k: self.rng.choice(v) for k, v in self.topic.fills.items()}
        slots["n"] = str(
            self.rng.randint(3, 12) if self.topic.lang != "ru" else self.rng.randint(5, 9)
        )
        return cap(tpl.format(**slots))

    def article(self, target_words: int) -> list[Block]:
        """Paragraphs (3-7 sentences) with a heading every few paragraphs, until the target
        length or the end of the page's vocabulary, whichever comes first."""
        lang = self.topic.lang
        blocks: list[Block] = []
        total, since_heading = 0, 0
        heading_every = self.rng.randint(2, 4)
        while total < target_words:
            if since_heading >= heading_every and self.headings and total > 80:
                blocks.append(("h2", self.headings.pop()))
                since_heading, heading_every = 0, self.rng.randint(2, 4)
            para = self.paragraph(self.rng.randint(3, 7))
            if not para:
                break
            blocks.append(("p", para))
            total += count_words(para, lang)
            since_heading += 1
        while total > 1500 and len(blocks) > 2:
            total -= count_words(block_text(blocks.pop()), lang)
        if blocks[-1][0] == "h2":
            blocks.pop()
        return blocks


class Reserve:
    """Sentences set aside from a page's generator for near-duplicate edits of that page."""

    def __init__(self, gen: TextGen, k: int, items: list[str] | None = None) -> None:
        self.topic = gen.topic
        self.gen = gen
        self.items = items if items is not None else [s for _ in range(k) if (s := gen.sentence())]

    def copy(self) -> Reserve:
        return Reserve(self.gen, 0, list(self.items))

    def sentence(self) -> str | None:
        return self.items.pop() if self.items else None

    def paragraph(self, n_sentences: int) -> str:
        sep = "" if self.topic.lang == "zh" else " "
        return sep.join(s for _ in range(n_sentences) if (s := self.sentence()))


def sample_length(rng: random.Random, lang: str) -> int:
    """Main-content length target: mostly short-to-medium, a few long reads (150-1400)."""
    bucket = rng.random()
    if bucket < 0.3:
        words = rng.randint(160, 300)
    elif bucket < 0.7:
        words = rng.randint(300, 700)
    elif bucket < 0.95:
        words = rng.randint(700, 1100)
    else:
        words = rng.randint(1100, 1350)
    return words * 2 if lang == "zh" else words


@dataclass
class Page:
    """One HTML page to be served in a 200 response, plus everything planted in it."""

    url: str
    site: Site
    lang: str
    title: str
    blocks: list[Block]
    published: date
    author: str
    topic: str | None = None
    kind: str = "article"  # article | machine_generated | low_quality
    style: str = ""
    html_lang: str | None = None
    charset: str = "utf-8"
    license: str | None = None
    canonical: str | None = None
    same_html_as: Page | None = None
    labels: dict[str, object] = field(default_factory=dict)
    record_id: str = ""
    fetched: datetime | None = None
    html: bytes = b""

    def main_text(self) -> str:
        return "\n\n".join([self.title, *(block_text(b) for b in self.blocks)])


class Planner:
    """Builds every page, then plants duplicates, PII, junk, licences, charsets, lang tags."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.urls: set[str] = set()
        self.ids: set[int] = set()
        self.pages: list[Page] = []
        self.planted: dict[str, list[dict[str, object]]] = {
            "exact_duplicate_groups": [],
            "near_duplicate_clusters": [],
            "pii_pages": [],
            "pii_hard_negative_pages": [],
            "machine_generated_pages": [],
            "low_quality_pages": [],
        }

    # -- helpers ----------------------------------------------------------------------------
    def sub_rng(self, *parts: object) -> random.Random:
        """An independent, reproducible RNG per object so edits elsewhere don't ripple."""
        return random.Random(":".join([str(self.seed), *map(str, parts)]))

    def new_id(self) -> int:
        while True:
            pid = self.rng.randint(1000, 99999)
            if pid not in self.ids:
                self.ids.add(pid)
                return pid

    def claim(self, url: str) -> str:
        base, n = url, 2
        while url in self.urls:
            url = (
                re.sub(r"(/?)$", f"-{n}\\1", base, count=1) if "?" not in base else f"{base}&v={n}"
            )
            n += 1
        self.urls.add(url)
        return url

    def make_url(self, site: Site, title: str, published: date) -> str:
        pid = self.new_id()
        slug = slugify(title)
        section = slugify(self.rng.choice(site.sections))
        host = f"https://{site.host}"
        if site.url_style == "dated":
            url = f"{host}/{published.year}/{published.month:02d}/{slug}/"
        elif site.url_style == "section":
            url = f"{host}/{section}/{slug}-{pid}.html"
        elif site.url_style == "wiki":
            url = f"{host}/wiki/" + re.sub(r"[^A-Za-z0-9_()-]", "", title.replace(" ", "_"))
        elif site.url_style == "query":
            url = f"{host}/index.php?p={pid}"
        else:
            url = (
                f"{host}/{section}/{pid}.html"
                if slug == "post"
                else f"{host}/{section}/{pid}/{slug}/"
            )
        return self.claim(url)

    def published(self, rng: random.Random) -> date:
        return date(2019, 1, 1) + timedelta(days=rng.randint(0, 1977))  # up to 2024-05-31

    def add(self, page: Page) -> Page:
        if not page.style:
            page.style = page.site.style
        if page.html_lang is None and "html_lang" not in page.labels:
            page.html_lang = page.site.html_lang
        if page.license is None and page.same_html_as is None:
            page.license = page.site.license
        if page.canonical is None and page.site.self_canonical:
            page.canonical = page.url
        self.pages.append(page)
        return page

    def pick(
        self, pool: list[Page], lang: str, k: int, taken: set[str], min_words: int = 0
    ) -> list[Page]:
        """Deterministically choose k unused pages of one language from the pool."""
        cands = [
            p
            for p in pool
            if p.lang == lang
            and p.url not in taken
            and count_words(" ".join(block_text(b) for b in p.blocks), lang) >= min_words
        ]
        chosen = self.rng.sample(cands, k)
        taken.update(p.url for p in chosen)
        return chosen

    # -- building ----------------------------------------------------------------------------
    def build(self) -> None:
        pool = self.build_articles()
        taken: set[str] = set()
        self.plant_near_duplicates(pool, taken)
        self.plant_exact_duplicates(pool, taken)
        self.plant_pii(pool, taken)
        self.plant_hard_negatives(pool, taken)
        self.plant_machine_generated()
        self.plant_low_quality()
        self.plant_charsets_and_lang(pool, taken)

    def build_articles(self) -> list[Page]:
        pool: list[Page] = []
        for site_key, count in ARTICLES_PER_SITE.items():
            site = SITES[site_key]
            for i in range(count):
                rng = self.sub_rng("article", site_key, i)
                topic = site.topics[i % len(site.topics)]
                gen = TextGen(topic, rng)
                title = gen.title()
                published = self.published(rng)
                page = Page(
                    url=self.make_url(site, title, published),
                    site=site,
                    lang=site.lang,
                    title=title,
                    blocks=gen.article(sample_length(rng, site.lang)),
                    published=published,
                    author=rng.choice(AUTHORS[site.lang]),
                    topic=topic,
                )
                pool.append(self.add(page))
        return pool

    def copy_page(self, orig: Page, site: Site, how: str) -> Page:
        """A page with the same main text as `orig`, served under another URL."""
        if how == "tracking_params":
            sep = "&" if "?" in orig.url else "?"
            url = self.claim(
                f"{orig.url}{sep}utm_source=newsletter&utm_medium=email&utm_campaign=weekly"
            )
        elif how == "http_scheme":
            url = self.claim(orig.url.replace("https://", "http://", 1))
        elif how == "print_view":
            url = self.claim(orig.url + ("&" if "?" in orig.url else "?") + "print=1")
        else:
            url = self.make_url(site, orig.title, orig.published)
        same_html = how in ("tracking_params", "http_scheme")
        copy = Page(
            url=url,
            site=site,
            lang=orig.lang,
            title=orig.title,
            blocks=list(orig.blocks),
            published=orig.published,
            author=orig.author,
            topic=orig.topic,
            style="print" if how == "print_view" else "",
            same_html_as=orig if same_html else None,
            license=orig.license
            if how in ("tracking_params", "http_scheme", "print_view")
            else None,
            canonical=orig.url if how in ("syndicated", "print_view") else None,
        )
        if same_html:
            orig.canonical = orig.canonical or orig.url
            copy.canonical = orig.canonical
            copy.html_lang = orig.html_lang
        return self.add(copy)

    def plant_exact_duplicates(self, pool: list[Page], taken: set[str]) -> None:
        plan = (  # (language, copy kinds)
            ("en", ("tracking_params", "http_scheme", "syndicated")),
            ("en", ("syndicated", "mirror", "print_view")),
            ("en", ("tracking_params", "mirror")),
            ("en", ("http_scheme", "syndicated")),
            ("de", ("tracking_params", "mirror")),
            ("en", ("print_view",)),
            ("fr", ("syndicated",)),
            ("en", ("mirror",)),
        )
        for n, (lang, kinds) in enumerate(plan, 1):
            (orig,) = self.pick(pool, lang, 1, taken)
            orig.labels["exact_dup_group"] = f"xd{n:02d}"
            members = [{"url": orig.url, "role": "original"}]
            for how in kinds:
                site = {"syndicated": SITES["digest"], "mirror": SITES["mirror"]}.get(
                    how, orig.site
                )
                copy = self.copy_page(orig, site, how)
                copy.labels["exact_dup_group"] = f"xd{n:02d}"
                members.append({"url": copy.url, "role": how})
            self.planted["exact_duplicate_groups"].append(
                {
                    "group": f"xd{n:02d}",
                    "lang": lang,
                    "members": members,
                    "main_text_sha256": sha256_text(orig.main_text()),
                }
            )

    def edit_sentences(self, blocks: list[Block], gen: Reserve, k: int) -> int:
        """Replace k sentences in random paragraphs with fresh ones from the same grammar."""
        splitter = r"(?<=[。])" if gen.topic.lang == "zh" else r"(?<=[.!?])\s+"
        joiner = "" if gen.topic.lang == "zh" else " "
        paras = [i for i, b in enumerate(blocks) if b[0] == "p"]
        done = 0
        for i in self.rng.sample(paras, min(k, len(paras))):
            sentences = [s for s in re.split(splitter, str(blocks[i][1])) if s]
            j = self.rng.randrange(len(sentences))
            fresh = gen.sentence()
            assert fresh is not None, "near-duplicate reserve is too small"
            sentences[j] = fresh
            blocks[i] = ("p", joiner.join(sentences))
            done += 1
        return done

    def plant_near_duplicates(self, pool: list[Page], taken: set[str]) -> None:
        sizes_langs = (
            (4, "en"),
            (4, "en"),
            (3, "en"),
            (3, "de"),
            (3, "en"),
            (3, "fr"),
            (3, "en"),
            (2, "es"),
        )
        ops_cycle = (
            "edit_sentences",
            "drop_and_add_paragraph",
            "update_note",
            "swap_paragraphs_and_edit",
            "edit_sentences_other_site",
        )
        op_i = 0
        for n, (size, lang) in enumerate(sizes_langs, 1):
            (base,) = self.pick(pool, lang, 1, taken, min_words=0)
            cluster = f"nd{n:02d}"
            rng = self.sub_rng("near", cluster)
            assert base.topic is not None
            gen = TextGen(base.topic, rng)
            # Set aside fresh sentences for the edits first: the base then spends the rest of
            # its topic's vocabulary and no edit repeats a sentence already on the page.
            reserve = Reserve(gen, 8)
            base.blocks = gen.article(rng.randint(600, 1000) * (2 if lang == "zh" else 1))
            base.blocks.append(("p", reserve.paragraph(2)))  # a short sign-off a copy may drop
            base.labels["near_dup_cluster"] = cluster
            members: list[dict[str, object]] = [{"url": base.url, "role": "base", "edits": []}]
            for _ in range(size - 1):
                op = ops_cycle[op_i % len(ops_cycle)]
                op_i += 1
                blocks = list(base.blocks)
                title, site, edits = base.title, base.site, []
                spare = reserve.copy()  # variants may share their replacement sentences
                if op == "edit_sentences":
                    edits.append(f"replaced {self.edit_sentences(blocks, spare, 2)} sentences")
                elif op == "drop_and_add_paragraph":
                    paras = [i for i, b in enumerate(blocks) if b[0] == "p"][1:]
                    shortest = min(paras, key=lambda i: len(str(blocks[i][1])))
                    del blocks[shortest]
                    blocks.insert(self.rng.randrange(1, len(blocks)), ("p", spare.paragraph(1)))
                    edits += ["dropped 1 paragraph", "added 1 paragraph"]
                elif op == "update_note":
                    note = {
                        "en": "Update:",
                        "de": "Nachtrag:",
                        "fr": "Mise à jour :",
                        "es": "Actualización:",
                    }[lang]
                    blocks.append(("p", f"{note} {spare.paragraph(2)}"))
                    self.edit_sentences(blocks, spare, 1)
                    updated = {
                        "en": "updated",
                        "de": "aktualisiert",
                        "fr": "mis à jour",
                        "es": "actualizado",
                    }[lang]
                    title = f"{base.title} ({updated})"
                    edits += ["appended update paragraph", "replaced 1 sentence", "title changed"]
                elif op == "swap_paragraphs_and_edit":
                    paras = [i for i, b in enumerate(blocks) if b[0] == "p"]
                    a = self.rng.randrange(len(paras) - 1)
                    i, j = paras[a], paras[a + 1]
                    blocks[i], blocks[j] = blocks[j], blocks[i]
                    self.edit_sentences(blocks, spare, 2)
                    edits += ["swapped 2 paragraphs", "replaced 2 sentences"]
                else:
                    site = SITES["mirror"] if lang != "en" else SITES["digest"]
                    self.edit_sentences(blocks, spare, 2)
                    edits += ["replaced 2 sentences", "different site boilerplate"]
                variant = self.add(
                    Page(
                        url=self.make_url(site, title, base.published),
                        site=site,
                        lang=lang,
                        title=title,
                        blocks=blocks,
                        published=base.published,
                        author=base.author,
                        topic=base.topic,
                    )
                )
                variant.labels["near_dup_cluster"] = cluster
                members.append({"url": variant.url, "role": op, "edits": edits})
            self.planted["near_duplicate_clusters"].append(
                {"cluster": cluster, "lang": lang, "members": members}
            )

    def plant_pii(self, pool: list[Page], taken: set[str]) -> None:
        plans = (
            "E",
            "P",
            "EP",
            "I",
            "EI",
            "E",
            "P",
            "EPI",
            "I",
            "EP",
            "E",
            "PI",
            "EI",
            "P",
            "E",
            "I",
            "EP",
            "P",
            "E",
            "I",
        )
        langs = ("en",) * 13 + ("de", "de", "fr", "fr", "es", "ru", "zh")
        chosen: list[Page] = []
        for lang in ("en", "de", "fr", "es", "ru", "zh"):
            chosen += self.pick(pool, lang, langs.count(lang), taken)
        obfuscated_done = False
        for page, plan in zip(chosen, plans, strict=True):
            rng = self.sub_rng("pii", page.url)
            lang = page.lang
            texts, items = [], []
            name = rng.choice(AUTHORS[lang])
            for kind in plan:
                if kind == "E":
                    email = f"{rng.choice(EMAIL_LOCAL)}@{rng.choice(EMAIL_DOMAINS)}"
                    shown, itype = email, "email"
                    if lang == "en" and not obfuscated_done:
                        shown = email.replace("@", " [at] ").replace(".", " [dot] ")
                        itype, obfuscated_done = "email_obfuscated", True
                    texts.append(rng.choice(PII_TEXT[lang]["email"]).format(email=shown, name=name))
                    items.append({"type": itype, "value": shown})
                elif kind == "P":
                    phone = rng.choice(PHONE_FORMATS[lang]).format(
                        a=rng.randint(0, 999),
                        b=rng.randint(0, 99),
                        c=rng.randint(0, 99),
                        d=rng.randint(0, 9999),
                    )
                    texts.append(rng.choice(PII_TEXT[lang]["phone"]).format(phone=phone, name=name))
                    items.append({"type": "phone", "value": phone})
                else:
                    net = rng.choice(("192.0.2", "198.51.100", "203.0.113", "192.168.1"))
                    ip = f"{net}.{rng.randint(2, 254)}"
                    texts.append(rng.choice(PII_TEXT[lang]["ipv4"]).format(ip=ip))
                    items.append({"type": "ipv4", "value": ip})
            sep = "" if lang == "zh" else " "
            assert page.topic is not None
            gen = TextGen(page.topic, rng)  # a lead-in, so the PII isn't a paragraph alone
            gen.used.update(re.split(r"(?<=[.!?。])\s*", page.main_text()))
            lead = gen.sentence() or ""
            page.blocks.insert(rng.randint(1, len(page.blocks)), ("p", sep.join([lead, *texts])))
            page.labels["pii"] = items
            self.planted["pii_pages"].append({"url": page.url, "lang": lang, "items": items})

    def plant_hard_negatives(self, pool: list[Page], taken: set[str]) -> None:
        chosen = (
            self.pick(pool, "en", 9, taken)
            + self.pick(pool, "de", 2, taken)
            + self.pick(pool, "fr", 1, taken)
        )
        for page in chosen:
            rng = self.sub_rng("hardneg", page.url)
            templates = list(HARD_NEGATIVES[page.lang])
            rng.shuffle(templates)
            texts, items = [], []
            for tpl in templates[: rng.randint(2, 3)]:
                slots = {k: rng.choice(v) for k, v in HN_VALUES.items()}
                texts.append(tpl.format(**slots))
                for key in re.findall(r"\{(\w+)\}", tpl):
                    items.append({"type": HN_KIND[key], "value": slots[key]})
            page.blocks.insert(rng.randint(1, len(page.blocks)), ("p", " ".join(texts)))
            page.labels["hard_negatives"] = items
            self.planted["pii_hard_negative_pages"].append(
                {"url": page.url, "lang": page.lang, "items": items}
            )

    def machine_blocks_en(self, rng: random.Random) -> tuple[str, list[Block], str]:
        topic = rng.choice(AI_TOPICS_EN)
        slots = {
            "topic": topic,
            "Topic": cap(topic),
            "audience": rng.choice(AI_AUDIENCE),
            "benefit": rng.choice(AI_BENEFIT),
            "n": str(rng.randint(5, 12)),
            "Title": topic.title(),
        }

        def fill(tpl: str) -> str:
            slots["audience"] = rng.choice(AI_AUDIENCE)
            slots["benefit"] = rng.choice(AI_BENEFIT)
            return tpl.format(**slots)

        body = list(AI_BODY_EN)
        rng.shuffle(body)
        blocks: list[Block] = [
            ("p", " ".join([fill(rng.choice(AI_OPENERS_EN))] + [fill(s) for s in body[:3]]))
        ]
        headings = list(AI_HEADINGS_EN)
        rng.shuffle(headings)
        cursor = 3
        for h in headings[: rng.randint(2, 4)]:
            blocks.append(("h2", h))
            k = rng.randint(3, 5)
            blocks.append(("p", " ".join(fill(s) for s in body[cursor : cursor + k])))
            cursor += k
        aspects = rng.sample(AI_ASPECTS_EN, rng.randint(4, 7))
        items = []
        for label in aspects:
            slots["label"], slots["label_l"] = label, label.lower()
            items.append(f"{label}: {fill(rng.choice(AI_ASPECT_LINES_EN))}")
        blocks.append(("ol", items))
        blocks.append(("h2", rng.choice(("Final Thoughts", "Conclusion"))))
        closing = fill(rng.choice(AI_CLOSERS_EN))
        follow = rng.choice(AI_FOLLOWUPS_EN)
        blocks.append(("p", f"{closing} {follow}".strip()))
        title = rng.choice(AI_TITLES_EN).format(**slots)
        return title, blocks, topic

    def machine_blocks_foreign(
        self, rng: random.Random, lang: str, variant: int
    ) -> tuple[str, list[Block]]:
        """Small non-English banks: each page of a language gets a disjoint half of it."""
        bank = AI_FOREIGN[lang]
        topic = bank["topics"][variant % len(bank["topics"])]
        slots = {"topic": topic, "Topic": cap(topic)}
        body = list(bank["body"][variant % 2 :: 2])
        rng.shuffle(body)
        half = len(body) // 2
        blocks: list[Block] = [
            (
                "p",
                " ".join(
                    [bank["openers"][variant % 2].format(**slots)]
                    + [s.format(**slots) for s in body[:half]]
                ),
            ),
            ("h2", bank["headings"][0]),
            ("p", " ".join(s.format(**slots) for s in body[half:])),
            ("h2", bank["headings"][1]),
            ("ol", list(bank["aspects"][variant % 2 :: 2])),
            ("h2", bank["headings"][2]),
            ("p", bank["closers"][variant % 2].format(**slots)),
        ]
        return bank["titles"][variant % 2].format(**slots), blocks

    def plant_machine_generated(self) -> None:
        hosts = (
            ["guides"] * 12
            + ["answers"] * 3
            + ["devjournal", "thrifty"]
            + ["ratgeber", "ratgeber", "cuisine"]
        )
        variants: Counter[str] = Counter()
        for i, site_key in enumerate(hosts):
            site = SITES[site_key]
            rng = self.sub_rng("machine", i)
            if site.lang == "en":
                title, blocks, topic = self.machine_blocks_en(rng)
                if site_key == "answers":
                    title = f"What is the best way to get started with {topic}?"
            else:
                title, blocks = self.machine_blocks_foreign(rng, site.lang, variants[site.lang])
                variants[site.lang] += 1
            published = date(2023, 3, 1) + timedelta(days=rng.randint(0, 450))
            page = self.add(
                Page(
                    url=self.make_url(site, title, published),
                    site=site,
                    lang=site.lang,
                    title=title,
                    blocks=blocks,
                    published=published,
                    author=rng.choice(("Admin", "Staff Writer", "Content Team")),
                    kind="machine_generated",
                )
            )
            text = page.main_text()
            tells = [t for t in AI_TELLS if t in text]
            page.labels["machine_generated"] = tells
            self.planted["machine_generated_pages"].append(
                {"url": page.url, "lang": page.lang, "tells": tells}
            )

    def low_quality_blocks(
        self, kind: str, lang: str, rng: random.Random, n: int
    ) -> tuple[str, list[Block]]:
        if kind == "keyword_spam":
            theme = "reisen" if lang == "de" else ("flights", "phones", "loans")[n % 3]
            kws = SPAM_KEYWORDS[theme]
            title = " - ".join(k.title() for k in rng.sample(kws, 3))
            paras = [
                ", ".join(
                    rng.choice(kws) + rng.choice(SPAM_FILLERS) for _ in range(rng.randint(12, 25))
                )
                for _ in range(5)
            ]
            return title, [("p", cap(p) + ".") for p in paras]
        if kind == "lorem_ipsum":
            paras = []
            for _ in range(rng.randint(3, 6)):
                sents = [
                    cap(" ".join(rng.choice(LOREM) for _ in range(rng.randint(8, 15)))) + "."
                    for _ in range(rng.randint(4, 6))
                ]
                paras.append(" ".join(sents))
            paras[0] = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " + paras[0]
            title = ("Sample Page", "Hello world!", "Lorem ipsum dolor sit amet", "Template demo")[
                n % 4
            ]
            return title, [("p", p) for p in paras]
        if kind == "very_short":
            title, text = (
                ("Coming soon", "This page is under construction. Check back soon."),
                ("Photo gallery", "Photos: 24. Click to enlarge."),
                ("Ride cancelled", "Sunday's ride is cancelled due to ice."),
                ("Out of stock", "Sorry, this item is currently unavailable."),
            )[n % 4]
            return title, [("p", text)]
        if kind == "link_list":
            if n == 3:  # an archive index on a real news site
                gazette = [p for p in self.pages if p.site.key == "gazette" and p.kind == "article"]
                links = [(p.url, p.title) for p in gazette]
                return "Archive: all stories", [
                    ("p", "Browse all stories by date."),
                    ("links", links),
                ]
            words_a = ("Best", "Top 10", "Cheap", "Free", "Top rated", "Compare")
            words_b = (
                "garden tools",
                "bike lights",
                "recipes",
                "telescopes",
                "budget apps",
                "hiking boots",
                "coffee makers",
                "phone cases",
                "web hosting",
            )
            words_c = ("2024", "reviews", "online", "UK", "deals", "guide")
            links = []
            for _ in range(rng.randint(40, 70)):
                text = f"{rng.choice(words_a)} {rng.choice(words_b)} {rng.choice(words_c)}"
                links.append((f"https://{slugify(text)}.example/", text))
            return "Useful links directory", [
                ("p", "Directory of useful links. Updated daily."),
                ("links", links),
            ]
        if kind == "js_cookie":
            lines = JS_LINES["de" if lang == "de" else "en"]
            out = [rng.choice(lines) for _ in range(rng.randint(8, 14))]
            title = "Bitte JavaScript aktivieren" if lang == "de" else "Please enable JavaScript"
            return title, [("p", line) for line in out]
        # repeated_lines
        line = (
            "Click here to read more about our amazing offers!",
            "New post coming soon, stay tuned!",
            "Ride safe and see you on Sunday!",
            "Best deals online today, visit now!",
        )[n % 4]
        title = ("Offers", "News", "Club notice", "Deals")[n % 4]
        return title, [("p", line) for _ in range(rng.randint(20, 40))]

    def plant_low_quality(self) -> None:
        plan = (
            ("keyword_spam", ("deals", "deals", "deals", "deals", "billig")),
            ("lorem_ipsum", ("placeholder", "placeholder", "stargazer", "thrifty")),
            ("very_short", ("placeholder", "gazette", "cycling", "deals")),
            ("link_list", ("linkfarm", "linkfarm", "linkfarm", "gazette")),
            ("js_cookie", ("gazette", "deals", "gartenwelt", "guides")),
            ("repeated_lines", ("deals", "placeholder", "cycling", "deals")),
        )
        for kind, site_keys in plan:
            for n, site_key in enumerate(site_keys):
                site = SITES[site_key]
                rng = self.sub_rng("lowq", kind, n)
                title, blocks = self.low_quality_blocks(kind, site.lang, rng, n)
                published = date(2023, 1, 1) + timedelta(days=rng.randint(0, 500))
                page = self.add(
                    Page(
                        url=self.make_url(site, title, published),
                        site=site,
                        lang=site.lang,
                        title=title,
                        blocks=blocks,
                        published=published,
                        author="admin",
                        kind="low_quality",
                    )
                )
                page.labels["low_quality"] = kind
                self.planted["low_quality_pages"].append(
                    {"url": page.url, "lang": page.lang, "kind": kind}
                )

    def plant_charsets_and_lang(self, pool: list[Page], taken: set[str]) -> None:
        """Legacy charsets and missing/wrong <html lang> on otherwise ordinary pages."""
        for lang, charset, k in (
            ("de", "iso-8859-1", 2),
            ("fr", "iso-8859-1", 1),
            ("es", "iso-8859-1", 1),
            ("ru", "windows-1251", 3),
            ("zh", "gbk", 1),
        ):
            for page in self.pick(pool, lang, k, taken):
                page.charset = charset
        wrong = (("de", "en"), ("es", "en-US"), ("ru", "en"), ("en", "de"))
        for lang, declared in wrong:
            (page,) = self.pick(pool, lang, 1, taken)
            page.html_lang = declared
        for page in self.pick(pool, "en", 4, taken):
            page.html_lang = None


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------
# HTML rendering.  Several layouts so boilerplate removal can't key on one template.
# ---------------------------------------------------------------------------------------------

CSS = {
    "blog": "body{font-family:Georgia,serif;margin:0;color:#222}.site-header{background:#2f4f2f;"
    "color:#fff;padding:1em}.cookie-banner{position:fixed;bottom:0;left:0;right:0;"
    "background:#111;color:#eee;padding:.8em}article{max-width:42em;margin:auto}"
    ".sidebar{float:right;width:18em}",
    "news": "body{font-family:Helvetica,Arial,sans-serif;margin:0}.topbar{background:#900;"
    "color:#fff;font-size:12px}.ad-slot{min-height:90px;background:#f4f4f4;"
    "text-align:center}.most-read li{margin-bottom:.5em}#cookie-consent{position:fixed;"
    "bottom:0;width:100%;background:#fff;box-shadow:0 -2px 8px #0003}",
    "wiki": "body{font-family:sans-serif;background:#f6f6f6}#content{background:#fff;"
    "margin-left:11em;padding:1em;border:1px solid #a7d7f9}#mw-panel{position:absolute;"
    "top:5em;width:10em}.catlinks{border:1px solid #aaa;padding:5px}",
    "retro": "body{background:#ffffe0;font-family:Verdana,sans-serif;font-size:13px}"
    "td.nav{background:#336;color:#fff;width:160px}a{color:#00c}.counter{font-family:"
    "monospace}",
    "farm": "body{font-family:system-ui,sans-serif}.ad{border:1px dashed #ccc;padding:1em;"
    "margin:1em 0}.sticky-share{position:fixed;left:0;top:30%}.popup{display:none}",
    "print": "@media print{nav,.no-print{display:none}}body{font-family:serif;max-width:40em}",
}


def esc(text: str) -> str:
    return escape(text, quote=True)


def render_blocks(blocks: list[Block]) -> str:
    out = []
    for kind, payload in blocks:
        if kind == "p":
            out.append(f"<p>{esc(str(payload))}</p>")
        elif kind == "h2":
            out.append(f"<h2>{esc(str(payload))}</h2>")
        elif kind == "ol":
            items = []
            for item in payload:  # type: ignore[union-attr]
                label, sep, rest = str(item).partition(":")
                items.append(
                    f"<li><strong>{esc(label)}{sep}</strong>{esc(rest)}</li>"
                    if sep
                    else f"<li>{esc(str(item))}</li>"
                )
            out.append("<ol>\n" + "\n".join(items) + "\n</ol>")
        elif kind == "links":
            links = "\n".join(f'<li><a href="{esc(h)}">{esc(t)}</a></li>' for h, t in payload)  # type: ignore[union-attr]
            out.append(f'<ul class="link-list">\n{links}\n</ul>')
    return "\n".join(out)


def footer_notice(page: Page, c: dict[str, str]) -> str:
    year = 2024
    if page.license:
        _spdx, url, label = LICENSES[page.license]
        return (
            f"&copy; {year} {esc(page.site.name)}. {esc(c['licensed'])} "
            f'<a rel="license" href="{url}">{label}</a>.'
        )
    return f"&copy; {year} {esc(page.site.name)}. {esc(c['rights'])}"


def head(page: Page, n: int) -> str:
    lang_attr = f' lang="{page.html_lang}"' if page.html_lang else ""
    first_p = next((str(p) for k, p in page.blocks if k == "p"), page.title)
    canonical = f'\n<link rel="canonical" href="{esc(page.canonical)}">' if page.canonical else ""
    if page.style == "retro":
        meta_charset = (
            f'<meta http-equiv="Content-Type" content="text/html; charset={page.charset}">'
        )
    else:
        meta_charset = f'<meta charset="{page.charset}">'
    return (
        f"<!DOCTYPE html>\n<html{lang_attr}>\n<head>\n{meta_charset}\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(page.title)} | {esc(page.site.name)}</title>\n"
        f'<meta name="description" content="{esc(first_p[:150])}">{canonical}\n'
        f'<link rel="stylesheet" href="/assets/site.css?v={n % 7 + 1}">\n'
        f"<style>{CSS[page.style]}</style>\n"
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
        f"gtag('js',new Date());gtag('config','G-SAMPLE{n:04d}');</script>\n</head>\n"
    )


COOKIE_JS = (
    "<script>document.querySelector('.cookie-accept').addEventListener('click',"
    "function(){document.getElementById('cookie-banner').style.display='none';"
    "document.cookie='consent=1;path=/;max-age=31536000';});</script>"
)


def render_page(page: Page, related: list[Page], n: int) -> str:
    """Full HTML document: main content wrapped in the site's boilerplate."""
    c = CHROME[page.site.lang]
    site = page.site
    content = render_blocks(page.blocks)
    when = page.published.isoformat()
    sections = "".join(f'<li><a href="/{slugify(s)}/">{esc(s)}</a></li>' for s in site.sections)
    section = site.sections[n % len(site.sections)]
    crumbs = (
        f'<nav class="breadcrumbs"><a href="/">{esc(c["home"])}</a> &rsaquo; '
        f'<a href="/{slugify(section)}/">{esc(section)}</a> &rsaquo; '
        f"<span>{esc(page.title)}</span></nav>"
    )
    rel = "".join(f'<li><a href="{esc(p.url)}">{esc(p.title)}</a></li>' for p in related)
    byline = (
        f'<p class="byline">{esc(c["by"])} <a href="/author/{slugify(page.author)}/">'
        f'{esc(page.author)}</a> &middot; <time datetime="{when}">{when}</time></p>'
    )
    cookie = (
        f'<div class="cookie-banner" id="cookie-banner"><p>{esc(c["cookie"])}</p>'
        f'<button class="cookie-accept">{esc(c["accept"])}</button> '
        f'<button class="cookie-manage">{esc(c["manage"])}</button></div>'
    )
    share_url = esc(page.url)
    share = (
        f'<div class="share"><span>{esc(c["share"])}:</span> '
        f'<a href="https://www.facebook.com/sharer/sharer.php?u={share_url}">Facebook</a> '
        f'<a href="https://twitter.com/intent/tweet?url={share_url}">X</a> '
        f'<a href="mailto:?subject={esc(page.title)}">Email</a> '
        f'<a href="#" onclick="window.print()">{esc(c["print"])}</a></div>'
    )
    comments = (
        f'<section class="comments" id="comments"><h3>{esc(c["comments"])}</h3>'
        '<form method="post" action="/comments/post">'
        f'<label>{esc(c["comment"])}<textarea name="comment" rows="6"></textarea>'
        f'</label><label>{esc(c["name"])}<input name="author" type="text"></label>'
        f'<label>{esc(c["email"])}<input name="email" type="email"></label>'
        f'<button type="submit">{esc(c["submit"])}</button></form></section>'
    )
    footer = (
        f'<footer class="site-footer"><p>{footer_notice(page, c)}</p><p>'
        f'<a href="/privacy/">{esc(c["privacy"])}</a> | <a href="/about/">'
        f'{esc(c["imprint"])}</a> | <a href="/contact/">{esc(c["contact"])}</a></p>'
        "</footer>"
    )
    top = head(page, n) + "<body>\n"
    if page.style == "print":
        body = (
            f'<div class="print-header no-print">{esc(site.name)} &mdash; {esc(page.url)}'
            f"</div>\n<h1>{esc(page.title)}</h1>\n{byline}\n{content}\n"
            f'<div class="print-footer"><p>{footer_notice(page, c)}</p></div>\n'
        )
    elif page.style == "wiki":
        body = (
            f'{cookie}\n<div id="mw-page-base"></div>\n<div id="mw-head"><ul class="tabs">'
            f'<li><a href="#">{esc(c["home"])}</a></li><li><a href="?action=edit">'
            f'{esc(c["edit"])}</a></li><li><a href="?action=history">History</a></li></ul>'
            f'<form action="/search"><input name="search" placeholder="{esc(c["search"])}">'
            f'</form></div>\n<div id="mw-panel"><nav><ul><li><a href="/wiki/Main_Page">Main page'
            '</a></li><li><a href="/wiki/Special:RecentChanges">Recent changes</a></li>'
            '<li><a href="/wiki/Special:Random">Random page</a></li><li><a href="/wiki/Help">'
            f"Help</a></li>{sections}</ul></nav></div>\n"
            f'<div id="content"><h1 id="firstHeading">{esc(page.title)}</h1>\n'
            f'<div id="siteSub">From {esc(site.name)}</div>\n'
            f'<div class="mw-parser-output">\n{content}\n</div>\n'
            f'<div class="catlinks">{esc(c["categories"])}: <a href="/wiki/Category:'
            f'{esc(slugify(section))}">{esc(section)}</a></div></div>\n'
            f'<footer id="footer"><p>{esc(c["updated"])} {when}.</p>'
            f'<p>{footer_notice(page, c)}</p><p><a href="/wiki/Privacy">'
            f'{esc(c["privacy"])}</a> | <a href="/wiki/About">{esc(c["imprint"])}</a></p>'
            f"</footer>\n{COOKIE_JS}\n"
        )
    elif page.style == "retro":
        links = "<br>\n".join(f'<a href="/{slugify(s)}/">{esc(s)}</a>' for s in site.sections)
        body = (
            f'{cookie}\n<div id="header"><img src="/images/banner.gif" alt="{esc(site.name)}">'
            f'</div>\n<table width="100%" cellpadding="6"><tr>\n'
            f'<td class="nav" valign="top"><b>{esc(c["menu"])}</b><br>\n<a href="/">'
            f'{esc(c["home"])}</a><br>\n{links}<br>\n<a href="/contact/">{esc(c["contact"])}'
            f"</a><hr><b>{esc(c['related'])}</b><ul>{rel}</ul></td>\n"
            f'<td class="content" valign="top">{crumbs}\n<h1>{esc(page.title)}</h1>\n{byline}\n'
            f"{content}\n{share}\n{comments}</td>\n</tr></table>\n"
            f'<center><p>{footer_notice(page, c)}</p><p class="counter">Visitors: '
            f'{n * 37 + 1024:07d}</p><p><a href="/privacy/">{esc(c["privacy"])}</a></p></center>'
            f"\n{COOKIE_JS}\n"
        )
    elif page.style == "news":
        most = "".join(f"<li>{esc(p.title)}</li>" for p in related[:3])
        body = (
            f'{cookie}\n<div class="topbar">{page.published.strftime("%d %B %Y")} | '
            f'<a href="/subscribe/">{esc(c["subscribe"])}</a></div>\n'
            f'<header class="masthead"><a class="logo" href="/">{esc(site.name)}</a>\n'
            f'<nav class="main-nav"><ul><li><a href="/">{esc(c["home"])}</a></li>{sections}'
            "</ul></nav></header>\n"
            f'<div class="ad-slot" data-ad-unit="/8841/top">{esc(c["ad"])}</div>\n{crumbs}\n'
            f'<main id="content"><article class="story">\n<h1>{esc(page.title)}</h1>\n'
            f"{byline}\n{content}\n</article>\n{share}\n"
            f'<div class="ad-slot" data-ad-unit="/8841/mid">{esc(c["ad"])}</div>\n'
            f"{comments}</main>\n"
            f'<aside class="rail"><h3>{esc(c["most_read"])}</h3><ol class="most-read">{most}'
            f"</ol><h3>{esc(c['related'])}</h3><ul>{rel}</ul>"
            f'<div class="ad-slot" data-ad-unit="/8841/rail">{esc(c["ad"])}</div></aside>\n'
            f"{footer}\n{COOKIE_JS}\n"
        )
    else:  # blog and farm
        ads = f'<div class="ad">{esc(c["ad"])}</div>\n' if page.style == "farm" else ""
        body = (
            f'<a class="skip-link" href="#content">{esc(c["skip"])}</a>\n{cookie}\n'
            f'<header class="site-header"><a class="logo" href="/">{esc(site.name)}</a>\n'
            f'<nav class="main-nav" aria-label="{esc(c["menu"])}"><ul><li><a href="/">'
            f'{esc(c["home"])}</a></li>{sections}<li><a href="/contact/">{esc(c["contact"])}'
            f'</a></li></ul></nav>\n<form class="search" action="/search"><input type="search" '
            f'name="q" placeholder="{esc(c["search"])}"></form>\n</header>\n{crumbs}\n{ads}'
            f'<main id="content">\n<article>\n<h1>{esc(page.title)}</h1>\n{byline}\n{content}\n'
            f"</article>\n{ads}{share}\n{comments}\n</main>\n"
            f'<aside class="sidebar"><h3>{esc(c["related"])}</h3><ul>{rel}</ul>'
            f'<h3>{esc(c["popular"])}</h3><p class="tags">'
            + " ".join(f'<a href="/tag/{slugify(s)}/">#{esc(s)}</a>' for s in site.sections)
            + f'</p><div class="newsletter"><h3>{esc(c["newsletter"])}</h3><form>'
            f'<input type="email" name="email" aria-label="email"><button>'
            f"{esc(c['subscribe'])}</button></form></div></aside>\n{ads}{footer}\n{COOKIE_JS}\n"
        )
    return top + body + "</body>\n</html>\n"


# ---------------------------------------------------------------------------------------------
# Non-HTML and non-200 responses: ingest has to count these, not turn them into documents.
# ---------------------------------------------------------------------------------------------


def make_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid, tiny, solid-colour PNG (zlib output is deterministic)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def make_pdf(text: str) -> bytes:
    """A minimal one-page PDF with a correct xref table."""
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


@dataclass
class Resource:
    """One fetched URL: what goes into the response record."""

    url: str
    status: int
    reason: str
    content_type: str
    body: bytes
    page: Page | None = None
    location: str | None = None
    record_id: str = ""
    fetched: datetime | None = None


def other_resources() -> list[Resource]:
    css = (
        b"/* site stylesheet */\nbody{margin:0;font:16px/1.5 Georgia,serif}\n"
        b".site-header{background:#2f4f2f}\n.sidebar{float:right;width:18em}\n"
    )
    not_found = (
        b'<!DOCTYPE html>\n<html lang="en"><head><title>404 Not Found</title></head>'
        b"<body><h1>Not Found</h1><p>The requested URL was not found on this server."
        b"</p></body></html>\n"
    )

    def moved(to: str) -> bytes:
        return (
            f"<html><head><title>301 Moved Permanently</title></head><body><h1>Moved "
            f'Permanently</h1><p>The document has moved <a href="{to}">here</a>.</p>'
            "</body></html>\n"
        ).encode()

    return [
        Resource(
            "https://www.allotment-diary.example/wp-content/uploads/2024/03/seedlings.png",
            200,
            "OK",
            "image/png",
            make_png(16, 16, (60, 140, 60)),
        ),
        Resource(
            "https://stargazer-notes.example.net/images/moon-sketch.png",
            200,
            "OK",
            "image/png",
            make_png(24, 24, (20, 20, 40)),
        ),
        Resource(
            "https://devjournal.example.com/static/logo.png",
            200,
            "OK",
            "image/png",
            make_png(8, 8, (200, 80, 10)),
        ),
        Resource(
            "https://wiki.townhistory.example.org/files/parish-register-index.pdf",
            200,
            "OK",
            "application/pdf",
            make_pdf("Parish register index (sample)"),
        ),
        Resource(
            "https://thrifty-household.example/downloads/budget-template.pdf",
            200,
            "OK",
            "application/pdf",
            make_pdf("Household budget template (sample)"),
        ),
        Resource(
            "https://www.riverside-gazette.example.com/assets/main.css", 200, "OK", "text/css", css
        ),
        Resource(
            "https://kitchen-ledger.example.com/theme/style.css",
            200,
            "OK",
            "text/css; charset=utf-8",
            css,
        ),
        Resource(
            "https://devjournal.example.com/2019/02/old-post-removed/",
            404,
            "Not Found",
            "text/html; charset=utf-8",
            not_found,
        ),
        Resource(
            "https://cuisine-du-marche.example/recettes/page-introuvable.html",
            404,
            "Not Found",
            "text/html; charset=utf-8",
            not_found,
        ),
        Resource(
            "http://northfield-cc.example.org/",
            301,
            "Moved Permanently",
            "text/html; charset=utf-8",
            moved("https://northfield-cc.example.org/"),
            location="https://northfield-cc.example.org/",
        ),
        Resource(
            "https://www.allotment-diary.example/old-archive/",
            301,
            "Moved Permanently",
            "text/html; charset=utf-8",
            moved("https://www.allotment-diary.example/2023/"),
            location="https://www.allotment-diary.example/2023/",
        ),
    ]


def record_id(*parts: object) -> str:
    return f"<urn:uuid:{uuid.uuid5(NAMESPACE, '|'.join(map(str, parts)))}>"


def warc_date(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def http_date(dt: datetime) -> str:
    return dt.strftime("%a, %d %b %Y %H:%M:%S GMT")


def server_ip(host: str) -> str:
    """Benchmark-range (198.18.0.0/15) address, so it never collides with planted PII."""
    h = hashlib.sha256(host.encode()).digest()
    return f"198.{18 + h[0] % 2}.{h[1]}.{h[2] % 253 + 1}"


def write_warc(path: Path, resources: list[Resource], rng: random.Random) -> Counter[str]:
    """Write warcinfo + request/response (+ occasional metadata) records, gzip per record."""
    types: Counter[str] = Counter()
    info_id = record_id("warcinfo", SEED)
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        info = (
            b"software: curate sample-data generator (scripts/make_sample_data.py)\r\n"
            b"format: WARC File Format 1.1\r\n"
            b"conformsTo: https://iipc.github.io/warc-specifications/specifications/"
            b"warc-format/warc-1.1/\r\n"
            b"isPartOf: curate-sample-crawl-2024\r\n"
            b"operator: Example Labs (fictional)\r\n"
            b"description: Synthetic sample crawl for the curate demo. Every page was generated "
            b"by the script; no third-party text.\r\n"
            b"robots: classic\r\n"
        )
        writer.write_record(
            writer.create_warc_record(
                "",
                "warcinfo",
                payload=io.BytesIO(info),
                length=len(info),
                warc_content_type="application/warc-fields",
                warc_headers_dict={
                    "WARC-Record-ID": info_id,
                    "WARC-Date": warc_date(CRAWL_START),
                    "WARC-Filename": path.name,
                },
            )
        )
        types["warcinfo"] += 1
        html_seen = 0
        for res in resources:
            assert res.fetched is not None
            host = re.sub(r"^https?://([^/]+).*$", r"\1", res.url)
            path_q = re.sub(r"^https?://[^/]+", "", res.url) or "/"
            date_s = warc_date(res.fetched)
            res.record_id = record_id("response", res.url)
            req_headers = StatusAndHeaders(
                f"GET {path_q} HTTP/1.1",
                [
                    ("Host", host),
                    ("User-Agent", "curate-sample-crawler/1.0 (+https://example.org/curate-bot)"),
                    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
                    ("Accept-Language", "en-US,en;q=0.5"),
                    ("Accept-Encoding", "identity"),
                    ("Connection", "close"),
                ],
                is_http_request=True,
            )
            writer.write_record(
                writer.create_warc_record(
                    res.url,
                    "request",
                    http_headers=req_headers,
                    warc_headers_dict={
                        "WARC-Record-ID": record_id("request", res.url),
                        "WARC-Date": date_s,
                        "WARC-Warcinfo-ID": info_id,
                        "WARC-Concurrent-To": res.record_id,
                    },
                )
            )
            types["request"] += 1
            headers = [
                ("Date", http_date(res.fetched)),
                ("Server", ("nginx", "Apache", "nginx/1.24.0")[len(host) % 3]),
                ("Content-Type", res.content_type),
                ("Content-Length", str(len(res.body))),
            ]
            if res.location:
                headers.append(("Location", res.location))
            if res.page is not None:
                headers.append(
                    (
                        "Last-Modified",
                        http_date(datetime.combine(res.page.published, datetime.min.time(), UTC)),
                    )
                )
                headers.append(("Cache-Control", "max-age=600"))
            headers.append(("Connection", "close"))
            resp_headers = StatusAndHeaders(
                f"{res.status} {res.reason}", headers, protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    res.url,
                    "response",
                    payload=io.BytesIO(res.body),
                    length=len(res.body),
                    http_headers=resp_headers,
                    warc_headers_dict={
                        "WARC-Record-ID": res.record_id,
                        "WARC-Date": date_s,
                        "WARC-IP-Address": server_ip(host),
                        "WARC-Warcinfo-ID": info_id,
                    },
                )
            )
            types["response"] += 1
            if res.page is not None:
                html_seen += 1
                if html_seen % 12 == 0:  # Common Crawl-style per-fetch metadata, sometimes
                    meta = (
                        f"fetchTimeMs: {rng.randint(40, 900)}\r\n"
                        f"charset-detected: {res.page.charset.upper()}\r\n"
                    ).encode()
                    writer.write_record(
                        writer.create_warc_record(
                            res.url,
                            "metadata",
                            payload=io.BytesIO(meta),
                            length=len(meta),
                            warc_content_type="application/warc-fields",
                            warc_headers_dict={
                                "WARC-Record-ID": record_id("metadata", res.url),
                                "WARC-Date": date_s,
                                "WARC-Warcinfo-ID": info_id,
                                "WARC-Refers-To": res.record_id,
                                "WARC-Concurrent-To": res.record_id,
                            },
                        )
                    )
                    types["metadata"] += 1
    return types


# ---------------------------------------------------------------------------------------------
# Forum dump (JSONL).
# ---------------------------------------------------------------------------------------------

FORUM_HOST = "https://forum.tinkerers-corner.example"
FORUM_THREADS: tuple[tuple[str, str, str], ...] = (
    ("en", "cycling", "Chain keeps skipping on the small cog"),
    ("en", "gardening", "Best way to store seed potatoes?"),
    ("en", "cooking", "Sourdough starter smells like nail varnish"),
    ("en", "software", "Flaky CI on Windows runners"),
    ("en", "home_finance", "Draughty sash windows: what actually works?"),
    ("en", "gardening", "Clay soil and raised beds"),
    ("en", "cycling", "Winter commuting: which lights?"),
    ("en", "cooking", "Batch cooking for a whole week"),
    ("en", "astronomy", "Binoculars for a ten-year-old?"),
    ("en", "local_history", "Finding old parish records online"),
    ("en", "software", "Is it worth pinning every dependency?"),
    ("en", "home_finance", "Repair or replace a nine-year-old washing machine"),
    ("en", "astronomy", "First look at Saturn this year"),
    ("en", "cycling", "Tubeless on a commuter: worth it?"),
    ("de", "garten", "Schnecken im Hochbeet – was hilft wirklich?"),
    ("de", "radfahren", "Kette quietscht trotz Öl"),
    ("de", "garten", "Tomaten platzen auf"),
    ("de", "radfahren", "Welche Reifen für Schotterwege?"),
    ("de", "garten", "Kompost im Winter umsetzen?"),
    ("de", "radfahren", "Pendeln bei Glätte"),
)
FORUM_AUTHORS = {
    "en": (
        "mudguard_mike",
        "plotholder42",
        "byte_wrangler",
        "sash_and_putty",
        "quietkettle",
        "lentil_larry",
        "nightsky_nora",
        "archive_annie",
        "spokes_and_tea",
        "greenhouse_gary",
        "cleanbuild",
        "penny_wise",
        "tyre_lever",
        "rootstock_rosa",
    ),
    "de": (
        "RadlerinAnna",
        "gartenfuchs",
        "kettenblatt",
        "schneckenjaeger",
        "komposthexe",
        "pendler_paul",
    ),
}
FORUM_BITS = {
    "en": {
        "open_q": ("Hi all.", "Quick question for the experts.", "Long-time lurker, first post."),
        "ask": (
            "Has anyone else run into this?",
            "Any advice welcome.",
            "What would you do?",
            "Am I missing something obvious?",
        ),
        "open_r": (
            "Same here.",
            "I had the same problem last year.",
            "Thanks for the tips!",
            "+1 to what others said.",
            "Worth a try.",
            "",
        ),
        "close": ("Cheers", "Hope that helps.", "YMMV.", "Good luck!", "", ""),
        "pii": (
            "Happy to lend you my old one, drop me a line at {email}.",
            "You can ring me on {phone} most evenings.",
            "PM me or email {email} and I'll send the photos.",
            "My number is {phone} if you want to talk it through.",
        ),
    },
    "de": {
        "open_q": ("Hallo zusammen,", "Kurze Frage an die Runde:", "Erster Beitrag hier."),
        "ask": (
            "Hat jemand Erfahrung damit?",
            "Was würdet ihr machen?",
            "Bin für jeden Tipp dankbar.",
        ),
        "open_r": (
            "Geht mir genauso.",
            "Hatte ich letztes Jahr auch.",
            "Danke für die Tipps!",
            "Kann ich nur bestätigen.",
            "",
        ),
        "close": ("Grüße", "Hoffe, das hilft.", "Viel Erfolg!", "", ""),
        "pii": ("Schreib mir einfach an {email}.", "Ruf gern an: {phone}."),
    },
}
FORUM_AI = {
    "en": {
        "open": (
            "Certainly! Here are some steps you can take to address this issue:",
            "Great question! There are several factors to consider here:",
            "As an AI language model, I can't inspect it myself, but here are some general "
            "suggestions:",
        ),
        "steps": (
            "**Check the basics:** Make sure everything is clean and properly adjusted.",
            "**Consult the manual:** The manufacturer's guidelines often contain valuable "
            "insights.",
            "**Seek expert advice:** A local professional can provide tailored recommendations.",
            "**Be patient:** Consistency is key, and results may take time.",
            "**Consider upgrading:** Investing in quality equipment can make a "
            "significant difference.",
            "**Join the community:** Engaging with fellow enthusiasts fosters learning and growth.",
        ),
        "close": (
            "In conclusion, addressing this issue requires a holistic approach. I hope this helps!",
            "It's important to note that every situation is unique, so it's worth "
            "consulting a professional. Good luck on your journey!",
        ),
    },
    "de": {
        "open": ("Natürlich! Hier sind einige Schritte, die Ihnen helfen können:",),
        "steps": (
            "**Grundlagen prüfen:** Stellen Sie sicher, dass alles sauber und richtig "
            "eingestellt ist.",
            "**Geduld haben:** Beständigkeit ist der Schlüssel zum Erfolg.",
            "**Fachleute fragen:** Ein Experte vor Ort kann maßgeschneiderte Empfehlungen geben.",
            "**Gemeinschaft nutzen:** Der Austausch mit Gleichgesinnten fördert das Lernen.",
        ),
        "close": (
            "Zusammenfassend lässt sich sagen, dass ein ganzheitlicher Ansatz "
            "entscheidend ist. Ich hoffe, das hilft!",
        ),
    },
}
SPAM_POST = (
    "Selling my old touring bike, barely used, collection only. Message me for details and photos."
)


def forum_posts(rng: random.Random) -> tuple[list[str], dict[str, object]]:
    """~150 JSONL lines: posts plus planted duplicates, PII, machine answers and bad lines."""
    base_total = 142  # + 4 duplicate copies + 1 spam original + 3 bad lines = 150
    sizes = [rng.randint(4, 10) for _ in FORUM_THREADS]
    sizes[-1] += base_total - sum(sizes)
    while sizes[-1] < 3:  # keep the last thread sane if the random sizes overshot
        i = sizes.index(max(sizes))
        sizes[i] -= 1
        sizes[-1] += 1
    posts: list[dict[str, object]] = []
    for t_idx, ((lang, topic, title), size) in enumerate(zip(FORUM_THREADS, sizes, strict=True)):
        thread_url = f"{FORUM_HOST}/t/{slugify(title)}/{4100 + t_idx * 7}"
        start = datetime(2023, 1, 1, 8, 0, tzinfo=UTC) + timedelta(
            minutes=rng.randint(0, 500 * 24 * 60)
        )
        bits = FORUM_BITS[lang]
        when = start
        for k in range(size):
            # One generator per post: a post never repeats itself, and posts in a thread
            # share a topic but not a script.
            gen = TextGen(topic, random.Random(f"{SEED}:forum:{t_idx}:{k}"))
            if k == 0:
                parts = [
                    rng.choice(bits["open_q"]),
                    gen.paragraph(rng.randint(3, 4)),
                    gen.paragraph(rng.randint(2, 3)),
                    rng.choice(bits["ask"]),
                ]
            else:
                # Mostly real answers; about one reply in eight is a quick one-liner.
                short = rng.random() < 0.12
                parts = [
                    rng.choice(bits["open_r"]),
                    gen.paragraph(rng.randint(1, 2) if short else rng.randint(3, 5)),
                    "" if short else gen.paragraph(rng.randint(1, 3)),
                    rng.choice(bits["close"]),
                ]
            posts.append(
                {
                    "lang": lang,
                    "thread": t_idx,
                    "thread_url": thread_url,
                    "when": when,
                    "author": rng.choice(FORUM_AUTHORS[lang]),
                    "score": rng.randint(0, 40) if k == 0 else rng.randint(-3, 60),
                    "body": "\n\n".join(p for p in parts if p),
                    "labels": {},
                }
            )
            when += timedelta(minutes=rng.randint(3, 3000))
    # Planted cases are chosen among replies (index > 0 within a thread).
    replies = [i for i, p in enumerate(posts) if i > 0 and posts[i - 1]["thread"] == p["thread"]]
    en_replies = [i for i in replies if posts[i]["lang"] == "en"]
    de_replies = [i for i in replies if posts[i]["lang"] == "de"]
    pii_idx = rng.sample(en_replies, 4) + rng.sample(de_replies, 2)
    for i in pii_idx:
        p = posts[i]
        lang = str(p["lang"])
        tpl = rng.choice(FORUM_BITS[lang]["pii"])
        email = f"{rng.choice(EMAIL_LOCAL)}@{rng.choice(EMAIL_DOMAINS)}"
        phone = rng.choice(PHONE_FORMATS[lang]).format(
            a=rng.randint(0, 999), b=rng.randint(0, 99), c=rng.randint(0, 99), d=0
        )
        p["body"] = f"{p['body']}\n\n{tpl.format(email=email, phone=phone)}"
        p["labels"]["pii"] = (
            [{"type": "email", "value": email}]
            if "{email}" in tpl
            else [{"type": "phone", "value": phone}]
        )
    free = [i for i in replies if i not in pii_idx]
    ai_idx = rng.sample([i for i in free if posts[i]["lang"] == "en"], 4) + rng.sample(
        [i for i in free if posts[i]["lang"] == "de"], 1
    )
    for i in ai_idx:
        p = posts[i]
        bank = FORUM_AI[str(p["lang"])]
        steps = rng.sample(bank["steps"], min(4, len(bank["steps"])))
        p["body"] = "\n\n".join(
            [
                rng.choice(bank["open"]),
                "\n".join(f"{n}. {s}" for n, s in enumerate(steps, 1)),
                rng.choice(bank["close"]),
            ]
        )
        p["score"] = rng.randint(-5, 2)
        p["labels"]["machine_generated"] = [t for t in AI_TELLS if t in str(p["body"])]
    # Exact duplicates: a double submit, a cross-post and a copy-pasted sale notice.
    free = [i for i in free if i not in ai_idx]
    dup_groups: list[dict[str, object]] = []
    extra: list[dict[str, object]] = []
    d1 = posts[rng.choice([i for i in free if posts[i]["lang"] == "en"])]
    extra.append(dict(d1, when=d1["when"] + timedelta(seconds=41), labels={"dup": "fd01"}))
    d1["labels"]["dup"] = "fd01"
    d2 = posts[rng.choice([i for i in free if posts[i]["lang"] == "de" and posts[i] is not d1])]
    other = [p for p in posts if p["lang"] == "de" and p["thread"] != d2["thread"]][0]
    extra.append(
        dict(
            d2,
            thread_url=other["thread_url"],
            thread=other["thread"],
            when=d2["when"] + timedelta(hours=5),
            labels={"dup": "fd02"},
        )
    )
    d2["labels"]["dup"] = "fd02"
    spam_threads = rng.sample([t for t, th in enumerate(FORUM_THREADS) if th[0] == "en"], 3)
    for n, t in enumerate(spam_threads):
        anchor = next(p for p in posts if p["thread"] == t)
        entry = {
            "lang": "en",
            "thread": t,
            "thread_url": anchor["thread_url"],
            "when": anchor["when"] + timedelta(days=3 + n),
            "author": "bike_bargains_99",
            "score": -4,
            "body": SPAM_POST,
            "labels": {"dup": "fd03"},
        }
        (posts if n == 0 else extra).append(entry)
    posts.extend(extra)
    posts.sort(key=lambda p: (p["when"], p["thread"]))
    for n, p in enumerate(posts):
        p["post_id"] = 200001 + n
    lines: list[str] = []
    records: list[dict[str, object]] = []
    for p in posts:
        obj = {
            "post_id": p["post_id"],
            "body": p["body"],
            "thread_url": p["thread_url"],
            "posted_at": p["when"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "author": p["author"],
            "score": p["score"],
        }
        lines.append(json.dumps(obj, ensure_ascii=False))
        records.append(p)
    # Bad input: one truncated line, one with a trailing comma, one without a body.
    broken_at, trailing_at, missing_at = 41, 97, 120
    victim = json.loads(lines[broken_at - 1])
    lines.insert(broken_at - 1, lines[broken_at - 1][: len(lines[broken_at - 1]) // 2])
    records.insert(broken_at - 1, {"broken": True, "post_id": victim["post_id"]})
    trailing = json.dumps(
        {
            "post_id": 299001,
            "body": "Danke, hat funktioniert!",
            "thread_url": f"{FORUM_HOST}/t/kette-quietscht-trotz-ol/4205",
            "posted_at": "2024-02-11T19:03:12Z",
            "author": "kettenblatt",
            "score": 3,
        },
        ensure_ascii=False,
    )
    lines.insert(trailing_at - 1, trailing[:-1] + ",}")
    records.insert(trailing_at - 1, {"broken": True, "post_id": 299001})
    lines.insert(
        missing_at - 1,
        json.dumps(
            {
                "post_id": 299002,
                "thread_url": f"{FORUM_HOST}/t/flaky-ci-on-windows-runners/4121",
                "posted_at": "2023-09-30T07:45:00Z",
                "author": "[deleted]",
                "score": 0,
            }
        ),
    )
    records.insert(missing_at - 1, {"missing_body": True, "post_id": 299002})
    groups: dict[str, list[int]] = {}
    for r in records:
        if "labels" in r and "dup" in r["labels"]:
            groups.setdefault(r["labels"]["dup"], []).append(int(r["post_id"]))
    kinds = {"fd01": "double_submit", "fd02": "cross_post", "fd03": "copy_pasted_notice"}
    for g, ids in sorted(groups.items()):
        dup_groups.append({"group": g, "kind": kinds[g], "post_ids": ids})
    valid = [r for r in records if "labels" in r]
    manifest = {
        "file": "forum.jsonl.gz",
        "lines": len(lines),
        "valid_json_lines": len(lines) - 2,
        "broken_json_lines": [broken_at, trailing_at],
        "missing_body_lines": [missing_at],
        "posts_with_body": len(valid),
        "posts_by_lang": dict(sorted(Counter(str(r["lang"]) for r in valid).items())),
        "exact_duplicate_groups": dup_groups,
        "pii_posts": [
            {"post_id": r["post_id"], "items": r["labels"]["pii"]}
            for r in valid
            if "pii" in r["labels"]
        ],
        "machine_generated_posts": [
            {"post_id": r["post_id"], "tells": r["labels"]["machine_generated"]}
            for r in valid
            if "machine_generated" in r["labels"]
        ],
    }
    return lines, manifest


def gzip_bytes(data: bytes) -> bytes:
    """gzip with mtime=0 and no file name, so output depends on content only."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


SOURCES_TOML = """\
schema = "curate.sources/1"

[system]
developer = "Example Labs"
name = "demo-model"
version = "0.1"
release_date = 2026-06-01
intended_purpose = "Demonstrate the curate pipeline end to end; not for production use."

[sources.sample-crawl]
owner = "Example Labs"
origin = "https://crawl.example.org/sample-2024/"
kind = "crawled"
description = "Small web crawl (WARC/1.1, ~300 HTML pages, six languages), generated."
purpose = "General web text for pretraining; exercises every step of the demo."
roles = ["pretraining"]
license = "various"
copyright = "yes"
trademark = "unknown"
patent = "no"
public_domain = "partly"
acquisition = "none"
licensor = ""
personal_information = "present"
aggregate_consumer_information = false
collection_start = 2024-01-01
collection_end = 2024-06-30
collection_ongoing = false
created_means = "collected"
first_used = 2026-01-15
synthetic = false
generator = ""

[sources.sample-forum]
owner = "Tinkerers' Corner Community Ltd (fictional)"
origin = "https://forum.tinkerers-corner.example/"
kind = "licensed"
description = "Dump of public threads from a hobby forum, English and German, as JSON lines."
purpose = "Conversational question-and-answer text for pretraining."
roles = ["pretraining"]
license = "proprietary"
copyright = "yes"
trademark = "no"
patent = "no"
public_domain = "no"
acquisition = "licensed"
licensor = "Tinkerers' Corner Community Ltd (fictional)"
personal_information = "present"
aggregate_consumer_information = false
collection_start = 2023-01-01
collection_end = 2024-06-30
collection_ongoing = false
created_means = "published"
first_used = 2026-01-15
synthetic = false
generator = ""
"""


# ---------------------------------------------------------------------------------------------
# Putting it together.
# ---------------------------------------------------------------------------------------------


def primary(tag: str | None) -> str | None:
    return tag.split("-")[0].lower() if tag else None


def build_crawl(planner: Planner) -> tuple[list[Resource], dict[str, object]]:
    """Render pages, order and date all fetches, and describe the result for the manifest."""
    rng = planner.sub_rng("crawl-order")
    by_site: dict[str, list[Page]] = {}
    for p in planner.pages:
        by_site.setdefault(p.site.key, []).append(p)
    for n, page in enumerate(planner.pages):
        if page.same_html_as is not None:
            continue
        peers = [
            p
            for p in by_site[page.site.key]
            if p is not page and p.same_html_as is None and p.style != "print"
        ]
        related = planner.sub_rng("related", page.url).sample(peers, min(5, len(peers)))
        text = render_page(page, related, n)
        page.html = text.encode(page.charset, errors="xmlcharrefreplace")
    for page in planner.pages:
        if page.same_html_as is not None:
            page.html = page.same_html_as.html
    resources = [
        Resource(p.url, 200, "OK", f"text/html; charset={p.charset}", p.html, page=p)
        for p in planner.pages
    ] + other_resources()
    rng.shuffle(resources)
    span = (CRAWL_END - CRAWL_START).total_seconds() - 86400
    step = span / len(resources)
    for i, res in enumerate(resources):
        offset = int(i * step + 3600 + rng.random() * step * 0.8)
        res.fetched = CRAWL_START + timedelta(seconds=offset)
        if res.page is not None:
            res.page.fetched = res.fetched
    return resources, {}


def describe(
    planner: Planner, resources: list[Resource], types: Counter[str], forum: dict[str, object]
) -> dict[str, object]:
    pages = [r.page for r in resources if r.page is not None]
    status = Counter(str(r.status) for r in resources)
    ctypes = Counter(r.content_type for r in resources)
    licensed = [
        {"url": p.url, "license": LICENSES[p.license][0], "license_url": LICENSES[p.license][1]}
        for p in pages
        if p.license
    ]
    canon = [{"url": p.url, "canonical": p.canonical} for p in pages if p.canonical]
    missing = [p.url for p in pages if not p.html_lang]
    wrong = [
        {"url": p.url, "declared": p.html_lang, "actual": p.lang}
        for p in pages
        if p.html_lang and primary(p.html_lang) != p.lang
    ]
    non_utf8 = [
        {"url": p.url, "charset": p.charset, "lang": p.lang} for p in pages if p.charset != "utf-8"
    ]
    non_html = [
        {"url": r.url, "status": r.status, "content_type": r.content_type, "record_id": r.record_id}
        for r in resources
        if r.status == 200 and r.page is None
    ]
    non_200 = [
        {
            "url": r.url,
            "status": r.status,
            "content_type": r.content_type,
            "record_id": r.record_id,
            **({"location": r.location} if r.location else {}),
        }
        for r in resources
        if r.status != 200
    ]
    planted = planner.planted
    pii_types = Counter(str(i["type"]) for p in planted["pii_pages"] for i in p["items"])  # type: ignore[union-attr]
    counts = {
        "warc_records": sum(types.values()),
        "records_by_type": dict(sorted(types.items())),
        "responses_by_status": dict(sorted(status.items())),
        "responses_by_content_type": dict(sorted(ctypes.items())),
        "html_200_pages": len(pages),
        "pages_by_lang": dict(sorted(Counter(p.lang for p in pages).items())),
        "pages_by_kind": dict(sorted(Counter(p.kind for p in pages).items())),
        "pages_by_charset": dict(sorted(Counter(p.charset for p in pages).items())),
        "exact_duplicate_groups": len(planted["exact_duplicate_groups"]),
        "exact_duplicate_pages": sum(
            len(g["members"])
            for g in planted["exact_duplicate_groups"]  # type: ignore[arg-type]
        ),
        "exact_duplicate_copies": sum(
            len(g["members"]) - 1
            for g in planted["exact_duplicate_groups"]  # type: ignore[arg-type]
        ),
        "near_duplicate_clusters": len(planted["near_duplicate_clusters"]),
        "near_duplicate_pages": sum(
            len(c["members"])
            for c in planted["near_duplicate_clusters"]  # type: ignore[arg-type]
        ),
        "pii_pages": len(planted["pii_pages"]),
        "pii_items_by_type": dict(sorted(pii_types.items())),
        "pii_hard_negative_pages": len(planted["pii_hard_negative_pages"]),
        "machine_generated_pages": len(planted["machine_generated_pages"]),
        "low_quality_pages": len(planted["low_quality_pages"]),
        "low_quality_by_kind": dict(
            sorted(Counter(str(p["kind"]) for p in planted["low_quality_pages"]).items())
        ),
        "licensed_pages": len(licensed),
        "licensed_by_license": dict(sorted(Counter(str(x["license"]) for x in licensed).items())),
        "canonical_links": len(canon),
        "html_lang_missing": len(missing),
        "html_lang_wrong": len(wrong),
        "non_utf8_pages": len(non_utf8),
        "non_html_responses": len(non_html),
        "non_200_responses": len(non_200),
        "forum_lines": forum["lines"],
        "forum_posts_with_body": forum["posts_with_body"],
        "forum_broken_json_lines": len(forum["broken_json_lines"]),  # type: ignore[arg-type]
        "forum_missing_body_lines": len(forum["missing_body_lines"]),  # type: ignore[arg-type]
        "forum_exact_duplicate_groups": len(forum["exact_duplicate_groups"]),  # type: ignore
        "forum_pii_posts": len(forum["pii_posts"]),  # type: ignore[arg-type]
        "forum_machine_generated_posts": len(forum["machine_generated_posts"]),  # type: ignore
    }
    page_list = [
        {
            "url": p.url,
            "record_id": next(r.record_id for r in resources if r.page is p),
            "site": p.site.host,
            "lang": p.lang,
            "html_lang": p.html_lang,
            "charset": p.charset,
            "kind": p.kind,
            "main_words": count_words(" ".join(block_text(b) for b in p.blocks), p.lang),
            "license": LICENSES[p.license][0] if p.license else None,
            "main_text_sha256": sha256_text(p.main_text()),
        }
        for p in pages
    ]
    return {
        "schema": MANIFEST_SCHEMA,
        "generator": GENERATOR,
        "seed": SEED,
        "note": "All text was generated by the script; sites, people, e-mail addresses and "
        "phone numbers are fictional (example.* domains, reserved/fiction number "
        "ranges, documentation IP ranges). main_words counts Han characters for zh.",
        "counts": counts,
        "planted": {
            **planted,
            "licensed_pages": licensed,
            "canonical_links": canon,
            "html_lang_missing": missing,
            "html_lang_wrong": wrong,
            "non_utf8_pages": non_utf8,
            "non_html_responses": non_html,
            "non_200_responses": non_200,
        },
        "forum": forum,
        "pages": page_list,
    }


README_HEAD = """\
# sample_data

A small, real-shaped corpus for the curate demo, tests and benchmarks.

**Everything here was generated by `scripts/make_sample_data.py`** from text written for that
script: there is no third-party text or file in this directory. Sites, people, e-mail addresses,
phone numbers and IP addresses are fictional (`*.example` hosts, `example.com/org/net` mail
domains, fiction/reserved phone ranges, documentation IP ranges). The output is deterministic
(fixed seed, fixed WARC dates, `uuid5` record ids, gzip `mtime=0`), so regenerating gives
byte-identical files:

```sh
python scripts/make_sample_data.py            # rewrites sample_data/
python scripts/make_sample_data.py --out DIR  # writes elsewhere (tests compare the two)
```

## Files
"""

README_FILES: tuple[tuple[str, str], ...] = (
    (
        "`crawl.warc.gz`",
        "WARC/1.1, one gzip member per record (as Common Crawl does): a `warcinfo` record, "
        "then a `request` + `response` pair per fetched URL and a `metadata` record after "
        "every 12th HTML page. HTML pages on fictional sites in en/de/fr/es/ru/zh with "
        "realistic boilerplate (header/nav menus, breadcrumbs, related-article sidebars, "
        "cookie banners, share buttons, comment forms, inline `<script>`/`<style>`, footers), "
        "plus images, PDFs, stylesheets, 404s and 301s that ingest must count, not ingest.",
    ),
    (
        "`forum.jsonl.gz`",
        "gzip (mtime=0) JSON lines of a forum dump: `post_id`, `body`, `thread_url`, "
        "`posted_at` (ISO 8601), `author`, `score`. English and German. Contains two invalid "
        "JSON lines and one line without `body`.",
    ),
    (
        "`sources.toml`",
        "Provenance declarations (`curate.sources/1`) for the sources `sample-crawl` and "
        "`sample-forum`.",
    ),
    (
        "`manifest_of_planted_cases.json`",
        "Ground truth: every planted case with URLs, record ids and post ids; per-page "
        "language, declared `lang`, charset, licence, word count and main-text hash; the "
        "counts below. Use it to measure recall.",
    ),
    ("`README.md`", "This file (also generated)."),
)

README_PLANTED = """
## Planted cases
"""

README_TAIL = """
Notes:

* "Exact duplicate" means identical main text (title + body) under a different URL; the copy
  may be byte-identical HTML (tracking parameters, `http://`), a print view, or the same
  article inside another site's boilerplate (syndication, mirror). Groups list the original.
* "Near duplicate" members are the base article with a few sentences replaced, a paragraph
  dropped/added/swapped, an update note appended, and/or different site boilerplate.
* PII is planted only in main content; the boilerplate contains none. Hard negatives are
  version numbers such as `1.2.3.4`, dates, prices, ISBNs, section and reference numbers.
* Chinese word counts in the manifest are Han characters.
* `html_lang_wrong` counts pages whose `<html lang>` primary subtag differs from the content
  language (including aggregator copies of foreign-language articles).
* Article prose is generated, but a page never repeats a sentence, clause or fixed opener, so
  normal articles pass Gopher's repetition rules like real ones do. Under
  `curate filter --preset fineweb` (English rules) every English article is kept; de/fr/es/ru
  pages fail `stop_words` (the list is English) and zh pages fail the English-token rules,
  as they would in a real crawl. The low-quality pages are all removed.
"""


def readme(manifest: dict[str, object]) -> str:
    c = manifest["counts"]
    assert isinstance(c, dict)

    def fmt(v: object) -> str:
        if isinstance(v, dict):
            return ", ".join(f"{k}: {n}" for k, n in v.items())
        return str(v)

    rows = [
        ("HTML pages (200, text/html)", "html_200_pages"),
        ("... by language", "pages_by_lang"),
        ("... by kind", "pages_by_kind"),
        ("... by declared charset", "pages_by_charset"),
        ("WARC records by type", "records_by_type"),
        ("Responses by HTTP status", "responses_by_status"),
        ("Non-HTML 200 responses (count, don't ingest)", "non_html_responses"),
        ("Non-200 responses (count, don't ingest)", "non_200_responses"),
        ("Exact-duplicate groups", "exact_duplicate_groups"),
        ("... pages in them (originals + copies)", "exact_duplicate_pages"),
        ("... copies", "exact_duplicate_copies"),
        ("Near-duplicate clusters", "near_duplicate_clusters"),
        ("... pages in them", "near_duplicate_pages"),
        ("Pages with PII", "pii_pages"),
        ("... PII items by type", "pii_items_by_type"),
        ("Pages with PII hard negatives only", "pii_hard_negative_pages"),
        ("Machine-generated-looking pages", "machine_generated_pages"),
        ("Low-quality pages", "low_quality_pages"),
        ("... by kind", "low_quality_by_kind"),
        ('CC-licensed pages (`rel="license"` link in footer)', "licensed_pages"),
        ("... by licence", "licensed_by_license"),
        ('Pages with `<link rel="canonical">`', "canonical_links"),
        ("Pages without `<html lang>`", "html_lang_missing"),
        ("Pages with a wrong `<html lang>`", "html_lang_wrong"),
        ("Pages in a non-UTF-8 charset", "non_utf8_pages"),
        ("Forum: lines", "forum_lines"),
        ("Forum: posts with a body", "forum_posts_with_body"),
        ("Forum: invalid JSON lines", "forum_broken_json_lines"),
        ("Forum: lines without `body`", "forum_missing_body_lines"),
        ("Forum: exact-duplicate groups", "forum_exact_duplicate_groups"),
        ("Forum: posts with PII", "forum_pii_posts"),
        ("Forum: machine-generated-looking posts", "forum_machine_generated_posts"),
    ]
    table = ["| Case | Count |", "|---|---|"]
    table += [f"| {label} | {fmt(c[key])} |" for label, key in rows]
    files = ["| File | What it is |", "|---|---|"]
    files += [f"| {name} | {text} |" for name, text in README_FILES]
    return (
        README_HEAD
        + "\n"
        + "\n".join(files)
        + "\n"
        + README_PLANTED
        + "\n"
        + "\n".join(table)
        + "\n"
        + README_TAIL
    )


def generate(out: Path) -> dict[str, object]:
    """Write all sample files into `out` and return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    planner = Planner(SEED)
    planner.build()
    resources, _ = build_crawl(planner)
    types = write_warc(out / "crawl.warc.gz", resources, planner.sub_rng("warc"))
    lines, forum = forum_posts(planner.sub_rng("forum"))
    (out / "forum.jsonl.gz").write_bytes(gzip_bytes(("\n".join(lines) + "\n").encode("utf-8")))
    (out / "sources.toml").write_text(SOURCES_TOML, encoding="utf-8")
    manifest = describe(planner, resources, types, forum)
    manifest["files"] = {
        name: {
            "bytes": (out / name).stat().st_size,
            "sha256": hashlib.sha256((out / name).read_bytes()).hexdigest(),
        }
        for name in ("crawl.warc.gz", "forum.jsonl.gz", "sources.toml")
    }
    (out / "manifest_of_planted_cases.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    (out / "README.md").write_text(readme(manifest), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "sample_data",
        help="output directory (default: sample_data/ in the repository)",
    )
    parser.add_argument("--quiet", action="store_true", help="don't print the counts")
    args = parser.parse_args(argv)
    manifest = generate(args.out)
    if not args.quiet:
        counts = manifest["counts"]
        assert isinstance(counts, dict)
        width = max(map(len, counts))
        for key, value in counts.items():
            print(f"{key:<{width}}  {value}")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
