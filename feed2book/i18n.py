"""The book's own words in the book's language: labels, counts and dates.

Every fixed word a book shows ("Contents", "min read", "Tags:", "Original:", "From:",
"articles"...) comes from one catalogue per language below, reviewed by hand: short, standard
words as e-reader interfaces use them. Plural forms and dates come from Babel (CLDR data), so
"1 article" / "2 articles", "3 статьи" / "5 статей" and "26 avr. – 25 mai 2026" follow each
language's own rules. A language without a catalogue falls back to English words; its dates
and plural rules still come from CLDR when Babel knows the language.

English dates keep feed2book's long-standing day-month-year form ("26 April – 25 May 2026").
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Final

from feed2book.lang.tags import normalise_language

if TYPE_CHECKING:  # Babel is imported when first used: 20 ms that most commands never need
    from babel import Locale

ENGLISH: Final = "en"
NBSP: Final = "\u00a0"

# A label is one string, or plural forms keyed by CLDR category ("one", "few", "many", "other"
# ...; "other" is required). Placeholders: {n} a number, {date} a date, {series} a name.
Label = str | Mapping[str, str]
Catalogue = Mapping[str, Label]

_EN: Final[Catalogue] = {
    "contents": "Contents",
    "title_page": "Title page",
    "cover": "Cover",
    "start": "Start",
    "articles": {"one": "{n} article", "other": "{n} articles"},
    "min_read": "{n} min read",
    "tags": "Tags:",
    "original": "Original:",
    "from": "From:",
    "updated": "updated {date}",
    "part": "{series}, part {n}",
    "more": "and {n} more",
    "made_with": "Made with feed2book",
    "other_articles": "Other articles",
}

CATALOGUES: Final[Mapping[str, Catalogue]] = {
    "en": _EN,
    "de": {
        "contents": "Inhalt",
        "title_page": "Titelseite",
        "cover": "Cover",
        "start": "Beginn",
        "articles": {"one": "{n} Artikel", "other": "{n} Artikel"},
        "min_read": "{n} Min. Lesezeit",
        "tags": "Schlagwörter:",
        "original": "Original:",
        "from": "Quellen:",
        "updated": "aktualisiert am {date}",
        "part": "{series}, Teil {n}",
        "more": "und {n} weitere",
        "made_with": "Erstellt mit feed2book",
        "other_articles": "Weitere Artikel",
    },
    "fr": {
        "contents": "Sommaire",
        "title_page": "Page de titre",
        "cover": "Couverture",
        "start": "Début",
        "articles": {"one": "{n} article", "other": "{n} articles"},
        "min_read": "{n} min de lecture",
        "tags": "Mots-clés\u00a0:",
        "original": "Original\u00a0:",
        "from": "Sources\u00a0:",
        "updated": "mis à jour le {date}",
        "part": "{series}, partie {n}",
        "more": "et {n} autres",
        "made_with": "Créé avec feed2book",
        "other_articles": "Autres articles",
    },
    "es": {
        "contents": "Índice",
        "title_page": "Portadilla",
        "cover": "Cubierta",
        "start": "Inicio",
        "articles": {"one": "{n} artículo", "other": "{n} artículos"},
        "min_read": "{n} min de lectura",
        "tags": "Etiquetas:",
        "original": "Original:",
        "from": "Fuentes:",
        "updated": "actualizado el {date}",
        "part": "{series}, parte {n}",
        "more": "y {n} más",
        "made_with": "Creado con feed2book",
        "other_articles": "Otros artículos",
    },
    "it": {
        "contents": "Indice",
        "title_page": "Frontespizio",
        "cover": "Copertina",
        "start": "Inizio",
        "articles": {"one": "{n} articolo", "other": "{n} articoli"},
        "min_read": "{n} min di lettura",
        "tags": "Tag:",
        "original": "Originale:",
        "from": "Fonti:",
        "updated": "aggiornato il {date}",
        "part": "{series}, parte {n}",
        "more": "e altri {n}",
        "made_with": "Creato con feed2book",
        "other_articles": "Altri articoli",
    },
    "pt": {
        "contents": "Sumário",
        "title_page": "Folha de rosto",
        "cover": "Capa",
        "start": "Início",
        "articles": {"one": "{n} artigo", "other": "{n} artigos"},
        "min_read": "{n} min de leitura",
        "tags": "Etiquetas:",
        "original": "Original:",
        "from": "Fontes:",
        "updated": "atualizado em {date}",
        "part": "{series}, parte {n}",
        "more": "e mais {n}",
        "made_with": "Criado com feed2book",
        "other_articles": "Outros artigos",
    },
    "nl": {
        "contents": "Inhoud",
        "title_page": "Titelpagina",
        "cover": "Omslag",
        "start": "Begin",
        "articles": {"one": "{n} artikel", "other": "{n} artikelen"},
        "min_read": "{n} min. leestijd",
        "tags": "Tags:",
        "original": "Origineel:",
        "from": "Bronnen:",
        "updated": "bijgewerkt op {date}",
        "part": "{series}, deel {n}",
        "more": "en nog {n}",
        "made_with": "Gemaakt met feed2book",
        "other_articles": "Overige artikelen",
    },
    "pl": {
        "contents": "Spis treści",
        "title_page": "Strona tytułowa",
        "cover": "Okładka",
        "start": "Początek",
        "articles": {
            "one": "{n} artykuł",
            "few": "{n} artykuły",
            "many": "{n} artykułów",
            "other": "{n} artykułu",
        },
        "min_read": "{n} min czytania",
        "tags": "Tagi:",
        "original": "Oryginał:",
        "from": "Źródła:",
        "updated": "zaktualizowano {date}",
        "part": "{series}, część {n}",
        "more": "i {n} więcej",
        "made_with": "Utworzono za pomocą feed2book",
        "other_articles": "Pozostałe artykuły",
    },
    "ru": {
        "contents": "Содержание",
        "title_page": "Титульный лист",
        "cover": "Обложка",
        "start": "Начало",
        "articles": {
            "one": "{n} статья",
            "few": "{n} статьи",
            "many": "{n} статей",
            "other": "{n} статьи",
        },
        "min_read": "{n} мин чтения",
        "tags": "Теги:",
        "original": "Оригинал:",
        "from": "Источники:",
        "updated": "обновлено {date}",
        "part": "{series}, часть {n}",
        "more": "и ещё {n}",
        "made_with": "Создано с помощью feed2book",
        "other_articles": "Другие статьи",
    },
    "uk": {
        "contents": "Зміст",
        "title_page": "Титульна сторінка",
        "cover": "Обкладинка",
        "start": "Початок",
        "articles": {
            "one": "{n} стаття",
            "few": "{n} статті",
            "many": "{n} статей",
            "other": "{n} статті",
        },
        "min_read": "{n} хв читання",
        "tags": "Теги:",
        "original": "Оригінал:",
        "from": "Джерела:",
        "updated": "оновлено {date}",
        "part": "{series}, частина {n}",
        "more": "і ще {n}",
        "made_with": "Створено за допомогою feed2book",
        "other_articles": "Інші статті",
    },
    "tr": {
        "contents": "İçindekiler",
        "title_page": "Başlık sayfası",
        "cover": "Kapak",
        "start": "Başlangıç",
        "articles": "{n} makale",  # Turkish nouns stay singular after a number
        "min_read": "{n} dk okuma",
        "tags": "Etiketler:",
        "original": "Orijinal:",
        "from": "Kaynaklar:",
        "updated": "güncellendi: {date}",
        "part": "{series}, bölüm {n}",
        "more": "ve {n} tane daha",
        "made_with": "feed2book ile oluşturuldu",
        "other_articles": "Diğer makaleler",
    },
    "ar": {
        "contents": "المحتويات",
        "title_page": "صفحة العنوان",
        "cover": "الغلاف",
        "start": "البداية",
        "articles": {
            "zero": "{n} مقال",
            "one": "مقال واحد",
            "two": "مقالان",
            "few": "{n} مقالات",
            "many": "{n} مقالًا",
            "other": "{n} مقال",
        },
        "min_read": {
            "zero": "{n} دقيقة للقراءة",
            "one": "دقيقة واحدة للقراءة",
            "two": "دقيقتان للقراءة",
            "few": "{n} دقائق للقراءة",
            "many": "{n} دقيقة للقراءة",
            "other": "{n} دقيقة للقراءة",
        },
        "tags": "الوسوم:",
        "original": "المقال الأصلي:",
        "from": "المصادر:",
        "updated": "حُدّث في {date}",
        "part": "{series}، الجزء {n}",
        "more": "و{n} غيرها",
        "made_with": "أُنشئ باستخدام feed2book",
        "other_articles": "مقالات أخرى",
    },
    "fa": {
        "contents": "فهرست",
        "title_page": "صفحهٔ عنوان",
        "cover": "جلد",
        "start": "شروع",
        "articles": "{n} مقاله",
        "min_read": "{n} دقیقه مطالعه",
        "tags": "برچسب‌ها:",
        "original": "متن اصلی:",
        "from": "منابع:",
        "updated": "به‌روزرسانی: {date}",
        "part": "{series}، بخش {n}",
        "more": "و {n} مورد دیگر",
        "made_with": "ساخته‌شده با feed2book",
        "other_articles": "مقاله‌های دیگر",
    },
    "he": {
        "contents": "תוכן העניינים",
        "title_page": "שער",
        "cover": "כריכה",
        "start": "התחלה",
        "articles": {"one": "מאמר אחד", "two": "שני מאמרים", "other": "{n} מאמרים"},
        "min_read": {"one": "דקת קריאה אחת", "two": "שתי דקות קריאה", "other": "{n} דקות קריאה"},
        "tags": "תגיות:",
        "original": "מקור:",
        "from": "מקורות:",
        "updated": "עודכן ב־{date}",
        "part": "{series}, חלק {n}",
        "more": "ועוד {n}",
        "made_with": "נוצר באמצעות feed2book",
        "other_articles": "מאמרים נוספים",
    },
    "ur": {
        "contents": "فہرست",
        "title_page": "سرورق",
        "cover": "جلد",
        "start": "آغاز",
        "articles": {"one": "{n} مضمون", "other": "{n} مضامین"},
        "min_read": "{n} منٹ کا مطالعہ",
        "tags": "ٹیگز:",
        "original": "اصل تحریر:",
        "from": "ماخذ:",
        "updated": "تازہ کاری: {date}",
        "part": "{series}، حصہ {n}",
        "more": "اور {n} مزید",
        "made_with": "feed2book سے تیار کردہ",
        "other_articles": "دیگر مضامین",
    },
    "hi": {
        "contents": "विषय-सूची",
        "title_page": "मुखपृष्ठ",
        "cover": "आवरण",
        "start": "आरंभ",
        "articles": "{n} लेख",
        "min_read": "{n} मिनट का पाठ",
        "tags": "टैग:",
        "original": "मूल लेख:",
        "from": "स्रोत:",
        "updated": "अद्यतन: {date}",
        "part": "{series}, भाग {n}",
        "more": "और {n} अन्य",
        "made_with": "feed2book से बनाया गया",
        "other_articles": "अन्य लेख",
    },
    "zh": {
        "contents": "目录",
        "title_page": "书名页",
        "cover": "封面",
        "start": "正文",
        "articles": "{n} 篇文章",
        "min_read": "阅读约 {n} 分钟",
        "tags": "标签：",
        "original": "原文：",
        "from": "来源：",
        "updated": "更新于 {date}",
        "part": "{series}，第 {n} 部分",
        "more": "等 {n} 个",
        "made_with": "由 feed2book 制作",
        "other_articles": "其他文章",
    },
    "zh-Hant": {
        "contents": "目錄",
        "title_page": "書名頁",
        "cover": "封面",
        "start": "正文",
        "articles": "{n} 篇文章",
        "min_read": "閱讀約 {n} 分鐘",
        "tags": "標籤：",
        "original": "原文：",
        "from": "來源：",
        "updated": "更新於 {date}",
        "part": "{series}，第 {n} 部分",
        "more": "等 {n} 個",
        "made_with": "由 feed2book 製作",
        "other_articles": "其他文章",
    },
    "ja": {
        "contents": "目次",
        "title_page": "扉",
        "cover": "表紙",
        "start": "本文",
        "articles": "{n} 件の記事",
        "min_read": "{n} 分で読めます",
        "tags": "タグ：",
        "original": "原文：",
        "from": "出典：",
        "updated": "{date} 更新",
        "part": "{series}（第 {n} 回）",
        "more": "ほか {n} 件",
        "made_with": "feed2book で作成",
        "other_articles": "その他の記事",
    },
    "ko": {
        "contents": "목차",
        "title_page": "속표지",
        "cover": "표지",
        "start": "본문",
        "articles": "글 {n}편",
        "min_read": "{n}분 분량",
        "tags": "태그:",
        "original": "원문:",
        "from": "출처:",
        "updated": "{date} 수정",
        "part": "{series}, {n}부",
        "more": "외 {n}개",
        "made_with": "feed2book으로 제작",
        "other_articles": "기타 글",
    },
}

_TRADITIONAL_CHINESE_REGIONS: Final = frozenset({"TW", "HK", "MO"})


@functools.lru_cache(maxsize=256)  # asked for every word of every page
def catalogue_key(language: str) -> str:
    """The catalogue for a BCP 47 tag: ``de-AT`` -> ``de``, ``zh-TW`` -> ``zh-Hant``, else
    ``en`` when there is none for the language."""
    subtags = normalise_language(language).split("-")
    primary = subtags[0].lower()
    if primary == "zh":
        rest = {subtag.title() if len(subtag) == 4 else subtag.upper() for subtag in subtags[1:]}
        traditional = "Hant" in rest or (
            "Hans" not in rest and bool(rest & _TRADITIONAL_CHINESE_REGIONS)
        )
        return "zh-Hant" if traditional else "zh"
    return primary if primary in CATALOGUES else ENGLISH


@functools.lru_cache(maxsize=64)
def babel_locale(language: str) -> Locale:
    """Babel's locale for a BCP 47 tag; English (as written in Britain, day before month) when
    Babel does not know the language."""
    from babel import Locale, UnknownLocaleError

    tag = normalise_language(language).replace("-", "_")
    if tag.split("_")[0].lower() == ENGLISH:
        return Locale.parse("en_GB")
    for candidate in (tag, tag.split("_")[0]):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en_GB")


def template(language: str, key: str) -> str:
    """The catalogue's ``key`` in ``language`` (English when it has none), placeholders kept."""
    label = CATALOGUES[catalogue_key(language)].get(key, _EN[key])
    return label if isinstance(label, str) else label["other"]


def text(language: str, key: str, **values: object) -> str:
    """The catalogue's ``key`` in ``language`` (English when it has none), filled in."""
    return template(language, key).format(**values)


def count(language: str, key: str, n: int) -> str:
    """A counted label with the plural form CLDR gives ``n`` in ``language``: "1 article"."""
    label = CATALOGUES[catalogue_key(language)].get(key, _EN[key])
    if isinstance(label, str):
        return label.format(n=n)
    category = babel_locale(language).plural_form(n)
    return label.get(category, label["other"]).format(n=n)


def plural(n: int, singular: str, plural_form: str) -> str:
    """A count in feed2book's (English) messages, by CLDR's English rule: ``"1 article"``,
    ``"0 articles"``, ``"2 articles"``. For a whole number that rule ("one: i = 1 and v = 0")
    is ``n == 1``: no need to load Babel's English data (50 ms) for a progress line."""
    return f"{n} {singular if n == 1 else plural_form}"


def _day(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def short_date(moment: date | datetime, language: str) -> str:
    """A date that never breaks across lines: "26 Apr 2026", "26.04.2026", "2026年4月26日"."""
    return _short_day(_day(moment), language)


@functools.lru_cache(maxsize=4096)  # each page and the contents show a date; days repeat
def _short_day(day: date, language: str) -> str:
    from babel.dates import format_skeleton

    return format_skeleton("yMMMd", day, locale=babel_locale(language)).replace(" ", NBSP)


def long_date(moment: date | datetime, language: str) -> str:
    """One day, written out: "26 April 2026", "26 avril 2026", "26 апреля 2026 г."."""
    from babel.dates import format_date

    return format_date(_day(moment), "long", locale=babel_locale(language))


def month_year(moment: date | datetime, language: str) -> str:
    """ "April 2026", "avril 2026", "2026年4月" (CLDR's stand-alone month form)."""
    from babel.dates import format_skeleton

    return format_skeleton("yMMMM", _day(moment), locale=babel_locale(language))


def date_range(first: date | datetime, last: date | datetime, language: str) -> str:
    """The span of a book's dates, said once: ``26 April – 25 May 2026``; a span over years
    names months only (``December 2025 – May 2026``)."""
    from babel.dates import format_date, format_interval

    start, end = _day(first), _day(last)
    if catalogue_key(language) == ENGLISH:
        return _english_range(start, end)
    locale = babel_locale(language)
    if start == end:
        return format_date(start, "long", locale=locale)
    skeleton = "yMMMMd" if start.year == end.year else "yMMMM"
    return format_interval(start, end, skeleton, locale=locale)


def _english_range(first: date, last: date) -> str:
    if first == last:
        return f"{first.day} {first:%B %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%B %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    return f"{first:%B %Y} – {last:%B %Y}"
