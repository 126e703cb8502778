"""Conference vocabulary shared by the four languages, for the free-text matcher.

Each concept lists words delegates use for one idea, in English, French, Spanish and Arabic,
colloquial forms included. Both the organisers' FAQ and the delegate's question are mapped to
these concepts, so "code wifi", "باسورد" and "how do I get online" meet on the same term even when
they share no word. The words are general conference and travel vocabulary, not tied to any one
FAQ file. Words are written as delegates type them; the matcher normalises and stems them.

With the sentence encoder beside the matcher (bot/services/decision.py), each list below was
measured again by removing it (`bench/eval_understanding.py`, the spent sets, each held out in
turn, the decision refitted without it; direct / within one tap / wrong / out of scope refused,
FAQ as written, before → after). Every list still earns its place in the bot without an encoder,
and all but one with it too, so none was retired:
- _COLLOQUIAL: with the encoder 71.7 / 95.4 / 1.7 / 96.6 → 72.5 / 95.7 / 1.5 / 95.4 (no gain
  from it), without 80.8 / 91.0 / 3.5 / 95.0 → 73.1 / 87.5 / 2.5 / 95.0: kept for the bot
  without an encoder;
- _WIDER: with 95.4 → 95.1 within one tap; without 80.8 → 80.1 direct;
- _SITUATIONS: with 95.4 → 95.0 within one tap (93.3 in a sparse FAQ, from 94.3); without
  80.8 → 80.0 direct;
- SITUATION_WORDS: with 71.7 → 71.2 direct; without 80.8 → 79.1;
- _DIALECT: with 71.7 → 70.7 direct (48.7 in a sparse FAQ, from 49.8); without 80.8 → 79.9;
- _FILLER: with 49.8 → 47.9 direct in a sparse FAQ; without 59.8 → 57.8 there;
- COMMON_WORDS: with 71.7 → 70.8 direct, 96.6 → 95.9 refused; without 80.8 → 78.6.
The out-of-scope lists (prices, "book me", families, places) are signals the encoder cannot
give: the decision weighs them, and an entry they rule out never answers.
"""

from __future__ import annotations

CONCEPTS: dict[str, tuple[str, ...]] = {
    "internet": (
        "wifi",
        "wi-fi",
        "wlan",
        "internet",
        "online",
        "network",
        "connection",
        "connect",
        "hotspot",
        "reseau",
        "connexion",
        "connecter",
        "red",
        "conexion",
        "conectar",
        "conectarme",
        "انترنت",
        "الانترنت",
        "نت",
        "شبكة",
        "الشبكة",
        "اتصال",
        "الواي",
        "واي",
        "وايفاي",
        "فاي",
    ),
    "password": (
        "password",
        "passwd",
        "passcode",
        "code",
        "mdp",
        "passe",
        "contrasena",
        "clave",
        "باسورد",
        "سر",
        "مرور",
        "الرمز",
    ),
    "eat": (
        "lunch",
        "eat",
        "food",
        "meal",
        "meals",
        "buffet",
        "midday",
        "noon",
        "dejeuner",
        "manger",
        "repas",
        "midi",
        "bouffe",
        "almuerzo",
        "comer",
        "comida",
        "mediodia",
        "almorzar",
        "غداء",
        "الغداء",
        "غدا",
        "الغدا",
        "طعام",
        "اكل",
        "الاكل",
        "وجبة",
        "ظهر",
        "الظهر",
    ),
    "registration": (
        "registration",
        "register",
        "registering",
        "check-in",
        "checkin",
        "accreditation",
        "enregistrement",
        "inscription",
        "accueil",
        "acreditacion",
        "acreditarme",
        "registro",
        "تسجيل",
        "التسجيل",
        "اسجل",
    ),
    "desk": (
        "desk",
        "counter",
        "info",
        "information",
        "reception-desk",
        "helpdesk",
        "comptoir",
        "bureau",
        "guichet",
        "mostrador",
        "punto",
        "informacion",
        "مكتب",
        "الاستعلامات",
        "استعلامات",
    ),
    "badge": (
        "badge",
        "badges",
        "tag",
        "lanyard",
        "pass",
        "card",
        "credencial",
        "gafete",
        "شارة",
        "شارتي",
        "الشارة",
        "بطاقة",
    ),
    "lost": (
        "lost",
        "lose",
        "losing",
        "dropped",
        "missing",
        "forgot",
        "misplaced",
        "perdu",
        "perdre",
        "oublie",
        "perdi",
        "perdido",
        "perdida",
        "olvide",
        "فقدت",
        "ضاعت",
        "ضاع",
        "فقدان",
        "مفقود",
        "نسيت",
    ),
    "broken": ("broken", "damaged", "abime", "casse", "roto", "rota", "تالفة", "مكسورة"),
    "new": (
        "new",
        "replacement",
        "another",
        "nouveau",
        "autre",
        "nueva",
        "nuevo",
        "otra",
        "جديدة",
        "بديلة",
        "اخرى",
    ),
    "interpretation": (
        "interpretation",
        "interpreting",
        "translation",
        "interpreter",
        "headset",
        "headphones",
        "earphones",
        "receiver",
        "channel",
        "interpretariat",
        "traduction",
        "casque",
        "ecouteurs",
        "canal",
        "interpretacion",
        "traduccion",
        "auriculares",
        "cascos",
        "ترجمة",
        "الترجمة",
        "الفورية",
        "سماعة",
        "سماعات",
        "قناة",
    ),
    "start": (
        "start",
        "starts",
        "begin",
        "begins",
        "kick",
        "opening",
        "open",
        "commence",
        "debut",
        "ouverture",
        "ouvre",
        "empieza",
        "comienza",
        "inicio",
        "apertura",
        "abre",
        "تبدا",
        "يبدا",
        "بداية",
        "الافتتاحية",
        "افتتاح",
        "يفتح",
    ),
    "plenary": ("plenary", "pleniere", "plenaria", "العامة", "الجلسة العامة"),
    "visa": (
        "visa",
        "schengen",
        "invitation",
        "letter",
        "embassy",
        "consulate",
        "lettre",
        "ambassade",
        "carta",
        "invitacion",
        "embajada",
        "تأشيرة",
        "تاشيرة",
        "فيزا",
        "دعوة",
        "رسالة",
        "السفارة",
    ),
    "airport": ("airport", "aeroport", "aeropuerto", "مطار", "المطار"),
    "transport": (
        "shuttle",
        "bus",
        "taxi",
        "transfer",
        "train",
        "tram",
        "ride",
        "navette",
        "transport",
        "transporte",
        "traslado",
        "autobus",
        "حافلة",
        "نقل",
        "تاكسي",
        "باص",
    ),
    "cloakroom": (
        "cloakroom",
        "coat",
        "coats",
        "luggage",
        "suitcase",
        "bag",
        "bags",
        "vestiaire",
        "manteau",
        "valise",
        "bagage",
        "bagages",
        "guardarropa",
        "abrigo",
        "maleta",
        "equipaje",
        "معطف",
        "حقيبة",
        "امتعة",
        "الامتعة",
        "غرفة الملابس",
    ),
    "prayer": (
        "prayer",
        "pray",
        "praying",
        "mosque",
        "chapel",
        "faith",
        "priere",
        "prier",
        "oracion",
        "rezar",
        "مصلى",
        "مصلي",
        "صلاة",
        "الصلاة",
        "اصلي",
    ),
    "quiet": (
        "quiet",
        "rest",
        "calm",
        "silence",
        "relax",
        "calme",
        "repos",
        "tranquila",
        "descanso",
        "silencio",
        "هادئة",
        "هادئ",
        "راحة",
    ),
    "children": (
        "childcare",
        "child",
        "children",
        "kids",
        "kid",
        "baby",
        "creche",
        "nursery",
        "enfant",
        "enfants",
        "garde",
        "bebe",
        "nino",
        "ninos",
        "guarderia",
        "hijos",
        "اطفال",
        "الاطفال",
        "طفل",
        "حضانة",
    ),
    "slides": (
        "slides",
        "presentation",
        "powerpoint",
        "ppt",
        "deck",
        "diapositives",
        "diapos",
        "presentacion",
        "diapositivas",
        "عرض",
        "شرائح",
        "العرض",
        "التقديمي",
    ),
    "report": (
        "report",
        "outcome",
        "summary",
        "recommendations",
        "rapport",
        "compte",
        "resume",
        "informe",
        "resumen",
        "تقرير",
        "التقرير",
        "توصيات",
    ),
    "allowance": (
        "per",
        "diem",
        "perdiem",
        "allowance",
        "dsa",
        "subsistence",
        "reimbursement",
        "reimburse",
        "indemnite",
        "journaliere",
        "remboursement",
        "viaticos",
        "viatico",
        "dietas",
        "reembolso",
        "بدل",
        "يومي",
        "اليومي",
        "تعويض",
    ),
    "dress": (
        "dress",
        "wear",
        "clothes",
        "clothing",
        "attire",
        "suit",
        "tenue",
        "vestimentaire",
        "habiller",
        "porter",
        "vestimenta",
        "vestir",
        "ropa",
        "لباس",
        "اللباس",
        "ملابس",
        "البس",
        "زي",
    ),
    "weather": (
        "weather",
        "forecast",
        "prevision",
        "previsions",
        "pronostico",
        "cold",
        "temperature",
        "snow",
        "rain",
        "warm",
        "climate",
        "meteo",
        "froid",
        "temps",
        "neige",
        "clima",
        "frio",
        "tiempo",
        "lluvia",
        "طقس",
        "الطقس",
        "برد",
        "بارد",
        "حرارة",
    ),
    "health": (
        "covid",
        "mask",
        "masks",
        "vaccine",
        "vaccination",
        "test",
        "masque",
        "vaccin",
        "mascarilla",
        "vacuna",
        "كوفيد",
        "كورونا",
        "كمامة",
        "لقاح",
    ),
    "emergency": (
        "emergency",
        "ambulance",
        "doctor",
        "sick",
        "ill",
        "first",
        "aid",
        "medical",
        "nurse",
        "hospital",
        "urgence",
        "medecin",
        "malade",
        "secours",
        "urgencia",
        "medico",
        "enfermo",
        "hospital",
        "طوارئ",
        "الطوارئ",
        "اسعاف",
        "طبيب",
        "مريض",
        "مستشفى",
    ),
    "lostfound": (
        "found",
        "trouves",
        "objets",
        "encontrados",
        "objetos",
        "المفقودات",
    ),
    "phone": (
        "phone",
        "mobile",
        "telephone",
        "portable",
        "telefono",
        "celular",
        "movil",
        "هاتف",
        "هاتفي",
        "جوال",
        "موبايل",
    ),
    "wheelchair": (
        "wheelchair",
        "accessible",
        "accessibility",
        "disability",
        "disabled",
        "ramp",
        "lift",
        "elevator",
        "step-free",
        "fauteuil",
        "roulant",
        "handicap",
        "ascenseur",
        "silla",
        "ruedas",
        "accesible",
        "accesibilidad",
        "discapacidad",
        "ascensor",
        "متحركة",
        "المتحركة",
        "كرسي",
        "الكراسي",
        "اعاقة",
        "مصعد",
    ),
    "side_event": ("side", "parallele", "paralelo", "جانبية", "جانبي"),
    "photo": (
        "photo",
        "photos",
        "photograph",
        "photographed",
        "photographer",
        "picture",
        "pictures",
        "camera",
        "photographie",
        "photographe",
        "foto",
        "fotos",
        "fotografo",
        "fotografos",
        "صور",
        "صورة",
        "تصوير",
        "مصور",
    ),
    "recording": (
        "recorded",
        "recording",
        "record",
        "livestream",
        "stream",
        "streaming",
        "webcast",
        "video",
        "enregistre",
        "enregistrees",
        "enregistrement",
        "direct",
        "grabada",
        "grabadas",
        "grabacion",
        "transmision",
        "مسجلة",
        "تسجيلات",
        "بث",
        "فيديو",
    ),
    "certificate": (
        "certificate",
        "attestation",
        "attendance",
        "proof",
        "certificat",
        "certificado",
        "constancia",
        "شهادة",
        "حضور",
    ),
    "parking": (
        "parking",
        "park",
        "car",
        "garer",
        "voiture",
        "stationnement",
        "estacionamiento",
        "aparcar",
        "coche",
        "estacionar",
        "موقف",
        "سيارة",
        "اركن",
        "مواقف",
    ),
    "charging": (
        "charge",
        "charging",
        "charger",
        "battery",
        "plug",
        "plugs",
        "socket",
        "adapter",
        "recharger",
        "batterie",
        "prise",
        "adaptateur",
        "cargar",
        "cargador",
        "bateria",
        "enchufe",
        "adaptador",
        "شحن",
        "اشحن",
        "بطارية",
        "شاحن",
        "قابس",
    ),
    "coffee": (
        "coffee",
        "tea",
        "break",
        "breaks",
        "snack",
        "cafe",
        "pause",
        "pauses",
        "receso",
        "descanso",
        "قهوة",
        "القهوة",
        "استراحة",
        "شاي",
    ),
    "print": (
        "print",
        "printing",
        "printer",
        "imprimer",
        "impression",
        "imprimante",
        "imprimir",
        "impresora",
        "طباعة",
        "اطبع",
        "طابعة",
    ),
    "contact": (
        "contact",
        "reach",
        "call",
        "email",
        "organisers",
        "organizers",
        "organiser",
        "organizer",
        "staff",
        "team",
        "joindre",
        "contacter",
        "organisateurs",
        "equipe",
        "contactar",
        "organizadores",
        "equipo",
        "اتصل",
        "تواصل",
        "المنظمين",
        "المنظمون",
        "المنظمة",
    ),
    "reception": (
        "reception",
        "cocktail",
        "drinks",
        "evening",
        "party",
        "soiree",
        "recepcion",
        "coctel",
        "fiesta",
        "حفل",
        "الاستقبال",
        "استقبال",
    ),
    "welcome": ("welcome", "bienvenue", "bienvenida", "الترحيبي", "ترحيب"),
    "signup": (
        "sign",
        "signup",
        "enrol",
        "enroll",
        "book",
        "reserve",
        "seat",
        "seats",
        "inscrire",
        "reserver",
        "place",
        "inscribirse",
        "inscribirme",
        "reservar",
        "plaza",
        "حجز",
        "مقعد",
    ),
    "workshop": (
        "workshop",
        "workshops",
        "atelier",
        "ateliers",
        "taller",
        "talleres",
        "ورشة",
        "ورش",
        "الورش",
        "ورشات",
    ),
    "hotel": (
        "hotel",
        "hotels",
        "accommodation",
        "stay",
        "lodging",
        "hebergement",
        "logement",
        "alojamiento",
        "hospedaje",
        "فندق",
        "الفندق",
        "اقامة",
        "سكن",
    ),
    "when": (
        "when",
        "time",
        "hour",
        "hours",
        "schedule",
        "quand",
        "heure",
        "horaire",
        "horaires",
        "cuando",
        "hora",
        "horario",
        "متى",
        "ساعة",
        "مواعيد",
        "موعد",
    ),
    "where": ("where", "ou", "donde", "وين", "اين", "فين"),
    "free": (
        "free",
        "included",
        "pay",
        "cost",
        "price",
        "gratuit",
        "offert",
        "payer",
        "gratis",
        "incluido",
        "pagar",
        "مجاني",
        "مجانا",
        "مدفوع",
    ),
    "venue": (
        "venue",
        "place",
        "site",
        "building",
        "lieu",
        "batiment",
        "sede",
        "lugar",
        "edificio",
        "المكان",
        "مكان",
        "المقر",
        "المبنى",
    ),
    "send": (
        "send",
        "submit",
        "upload",
        "share",
        "envoyer",
        "soumettre",
        "transmettre",
        "enviar",
        "mandar",
        "subir",
        "ارسل",
        "ارسال",
        "ابعث",
    ),
    "day_before": ("before", "early", "veille", "avant", "anterior", "antes", "مبكرا", "قبل"),
}

GREETINGS: frozenset[str] = frozenset(
    {
        "hi",
        "hello",
        "hey",
        "hiya",
        "morning",
        "evening",
        "afternoon",
        "good",
        "bonjour",
        "bonsoir",
        "salut",
        "coucou",
        "hola",
        "buenos",
        "buenas",
        "dias",
        "tardes",
        "noches",
        "مرحبا",
        "اهلا",
        "السلام",
        "سلام",
        "عليكم",
        "صباح",
        "مساء",
        "الخير",
        "النور",
        "there",
        "bot",
        "yo",
    }
)

THANKS: frozenset[str] = frozenset(
    {
        "thanks",
        "thank",
        "thx",
        "ty",
        "cheers",
        "merci",
        "beaucoup",
        "gracias",
        "muchas",
        "mil",
        "شكرا",
        "شكرًا",
        "جزيلا",
        "مشكور",
        "you",
        "so",
        "much",
        "lot",
        "great",
        "ok",
        "okay",
        "perfect",
        "parfait",
        "super",
        "genial",
        "vale",
        "perfecto",
        "تمام",
        "ممتاز",
    }
)

FUNCTION_WORDS: frozenset[str] = frozenset(
    {
        # English
        "a",
        "an",
        "the",
        "is",
        "are",
        "am",
        "was",
        "be",
        "do",
        "does",
        "did",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "it",
        "its",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "from",
        "with",
        "and",
        "or",
        "there",
        "here",
        "what",
        "whats",
        "wats",
        "which",
        "who",
        "how",
        "can",
        "could",
        "should",
        "would",
        "will",
        "any",
        "some",
        "this",
        "that",
        "please",
        "pls",
        "plz",
        "get",
        "have",
        "has",
        "need",
        "want",
        "where",
        "when",
        "s",
        "d",
        "ll",
        "about",
        "so",
        "if",
        "not",
        "no",
        "yes",
        "up",
        "by",
        "as",
        "much",
        "many",
        "u",
        "ur",
        # French
        "le",
        "la",
        "les",
        "l",
        "un",
        "une",
        "des",
        "du",
        "de",
        "et",
        "ou",
        "est",
        "ce",
        "c",
        "qu",
        "que",
        "quoi",
        "quel",
        "quelle",
        "quels",
        "quelles",
        "je",
        "j",
        "tu",
        "il",
        "nous",
        "vous",
        "mon",
        "ma",
        "mes",
        "votre",
        "vos",
        "au",
        "aux",
        "en",
        "pour",
        "par",
        "sur",
        "dans",
        "avec",
        "y",
        "t",
        "se",
        "ne",
        "pas",
        "comment",
        "puis",
        "peut",
        "peux",
        "faut",
        "ya",
        "svp",
        "est-ce",
        # Spanish
        "el",
        "los",
        "las",
        "una",
        "unos",
        "unas",
        "del",
        "al",
        "o",
        "es",
        "son",
        "cual",
        "cuales",
        "como",
        "donde",
        "mi",
        "mis",
        "su",
        "sus",
        "lo",
        "con",
        "por",
        "para",
        "hay",
        "puedo",
        "puede",
        "hago",
        "yo",
        "usted",
        "ustedes",
        "esta",
        "esto",
        "este",
        # Arabic
        "ما",
        "ماذا",
        "هل",
        "من",
        "في",
        "على",
        "الى",
        "إلى",
        "الي",
        "عن",
        "هو",
        "هي",
        "انا",
        "أنا",
        "كيف",
        "اين",
        "أين",
        "وين",
        "متى",
        "هناك",
        "يوجد",
        "توجد",
        "لي",
        "او",
        "أو",
        "و",
        "ان",
        "أن",
        "يمكن",
        "يمكنني",
        "ممكن",
    }
)

# More of the words delegates type on a phone for the same concepts: short forms, regional and
# colloquial words (Latin American Spanish, Levantine, Gulf and Egyptian Arabic), unaccented and
# transliterated forms. Kept apart so the list above stays the core vocabulary.
_COLLOQUIAL: dict[str, str] = {
    "internet": "net web wifis connected connecting reseaux connecte internets conecto conexiones "
    "النت الوايفاي ويفي وايرلس الشبكه",
    "password": "pw pwd motdepasse contrasenia codigo الباسورد السر السري سري كلمه",
    "eat": "lunchtime dine hungry sandwich canteen cafeteria catering dejeune bouffer cantine "
    "restauration almuerzan almorzamos comemos cantina almorzar نتغدى نتغدا اتغدى اتغدا ناكل "
    "وجبات الوجبه غدوة",
    "registration": "signin accredited accreditations enregistrer registrarme registrarse "
    "acreditaciones acreditar الاعتماد اعتماد سجل اسجل نسجل",
    "badge": "nametag namecard carnet pase identificacion بادج البادج الباج باج البطاقه كارت "
    "الكارت",
    "lost": "gone stolen misplace egare egaree paume perdue vole extravie extravio robaron "
    "robado perdio perdida perdiste ضيعت ضايع ضايعه راحت انسرق سرق فقد اضعت ضيع",
    "broken": "torn ripped wet cracked faded dechire danado estropeado mojado انكسر مكسور خربان "
    "خربت تلف ممزق انقطع",
    "new": "replace reprint duplicate remplacer refaire reemplazo reponer otro ثانيه غيرها تانيه",
    "interpretation": "interpreters translate translated simultaneous earpiece interprete "
    "interpretes simultanee simultanea receptor canales ترجمه مترجم مترجمين الترجمه سماعه "
    "السماعه قنوات القناه هيدفون",
    "start": "starting kickoff beginning commencent debute demarre commencer comenzar empezar "
    "arranca empiezan comienzan يبلش تبلش بيبدا بتبدا الافتتاح",
    "plenary": "plenaries plenieres plenarias العامه",
    "visa": "visas invite permit visado visados consulat consulado carta الفيزا التاشيره فيزه "
    "السفاره القنصليه دعوه",
    "airport": "gva cointrin airpot aeropuerto",
    "transport": "cab uber metro tramway transit colectivo micro تكسي الباص مواصلات المواصلات "
    "ترام قطار القطار توصيله توصيل",
    "cloakroom": "leave drop deposit laisser deposer dejar اترك احط "
    "jacket jackets backpack suitcases storage consigne vestiaires sac sacs blouson "
    "veste guardarropas mochila chaqueta maletas abrigos consigna الشنطه شنطه الجاكيت جاكيت "
    "جاكيته المعطف الحقيبه امانات الامانات",
    "prayer": "salah salat namaz masjid worship mosquee mezquita orar rezo capilla chapelle "
    "multifaith interfaith مسجد المسجد جامع المصلى نصلي صلاه الصلاه وضوء الوضوء قبله القبله",
    "quiet": "nap relax quieter reposer tranquille silencieux silencieuse descansar tranquilo "
    "relajarme silenciosa هادي هدوء ارتاح",
    "children": "toddler infant infants babysitter babysitting nanny daycare breastfeed "
    "breastfeeding nursing pumping parents bebes allaiter allaitement nounou ninera lactancia "
    "amamantar hijo hija رضاعه الرضاعه ارضاع رضيع ابني بنتي ولادي اولاد الاولاد حضانه جليسه",
    "slides": "pptx pdf keynote usb diaporama laminas عرضي الشرائح باوربوينت بوربوينت التقديمي",
    "report": "outcomes conclusions results findings resultats resultados conclusiones نتائج "
    "النتائج الخلاصه التوصيات",
    "allowance": "reimbursed refund refunded expenses frais rembourse rembourses defraiement "
    "reembolsan reembolsar gastos pasaje بدل مصاريف المصاريف استرداد",
    "dress": "outfit formal casual tie jeans costume cravate habille formel decontracte traje "
    "corbata vestirse atuendo لبس اللبس رسمي بدله كرافته هدوم الهدوم",
    "weather": "freezing chilly umbrella snowing raining degrees neiger pleuvoir pluie degres "
    "nevar nieva llover grados مطر تمطر ثلج تثلج درجه الجو جو البرد",
    "health": "covid19 corona coronavirus pcr symptoms vaccinated sanitizer cubrebocas barbijo "
    "vacunado كمامه فحص تطعيم",
    "emergency": "unwell injured hurt collapsed faint fainted clinic blesse malaise evanoui samu "
    "urgences herido desmayo urgencias emergencia ambulancia clinica الاسعاف اسعافات الاسعافات "
    "دكتور الدكتور تعبان طارئ طارئه نجده",
    "lostfound": "wallet keys scarf trouve perdus encontre encontro olvidado cartera billetera "
    "llaves محفظه مفاتيح لقيت وجدت المفقودات",
    "phone": "cellphone smartphone cell laptop tablet tel celu تلفون تلفوني التلفون موبايلي "
    "لابتوب",
    "wheelchair": "step steps lifts elevators ramps stairs mobility deaf blind captions rampe "
    "rampa sordo "
    "escaleras درج منحدر اعاقه اصم",
    "side_event": "bilateral bilaterals bilaterale ثنائي ثنائيه",
    "photo": "pics pictures photographies fotografia fotografiar صوره يصورني تصويري كاميرا",
    "recording": "مسجل مسجله يتسجل بتتسجل تتسجل filmed streamed livestreamed replay filmee "
    "filme retransmission diffusion "
    "grabar graban grabado grabados transmite transmitido بث مباشر يوتيوب",
    "certificate": "participation attended asistencia comprobante شهاده الشهاده اثبات",
    "parking": "drive driving carpark garage parked parquear parqueo aparcamiento conducir "
    "stationner سياره السياره باركينغ اصف",
    "charging": "chargers outlet outlets power sockets chargeur prises enchufes toma الشاحن "
    "الشحن فيش فيشه كهربا بريزه",
    "coffee": "cup tasse taza فنجان كوب snacks refreshments water collation boissons cafecito "
    "refrigerio bocadillos agua "
    "قهوه بريك مياه",
    "print": "prints printout photocopy copies scan photocopie copias imprimo fotocopia طباعه "
    "الطابعه برنت",
    "contact": "hotline helpline organisateur organizador المنظم",
    "reception": "dinner gala diner cena عشاء العشاء حفله",
    "hotel": "hostel airbnb فنادق الفنادق",
    "rates": "rate rates discount discounted preferential cheaper tarif tarifs preferentiel "
    "reduction tarifa tarifas descuento preferencial خصم سعر بسعر اسعار تخفيض",
    "when": "timing امتى ايمتى وقتيش",
    "where": "whereabouts located location adonde وينو وينه",
    "free": "paid payant gratuite gratuito pago cobran ببلاش مجانا فلوس ادفع الدفع",
    "venue": "centre center premises centro space spot area espace espacio zona",
}
# Further everyday ways of naming the same subjects, in all four languages: inflections,
# messaging-app words, language names (delegates ask for "the Arabic" meaning interpretation).
_WIDER: dict[str, str] = {
    "contact": "whatsapp telegram mail courriel correo appeler ecrire llamar escribir "
    "ايميل الايميل البريد واتساب اكلم نكلم كلم",
    "charging": "recharge recharger batteries chargeurs cargadores cargo شواحن الشواحن",
    "lostfound": "belongings umbrella parapluie paraguas affaires pertenencias اغراض اغراضي "
    "مظله شمسيه",
    "wheelchair": "accessible accessibility disabled disability handicap handicape fauteuil "
    "accesibilidad discapacidad ruedas متحرك كرسي ذوي",
    "free": "pay payer paye payant payer pagar pagas pagamos ادفع ندفع",
    "slides": "upload uploader subir subo presentation presentacion ارفع",
    "allowance": "sponsored sponsorship parraine parrainage patrocinado patrocinio beca becado "
    "funded financement financiado ممول تمويل",
    "phone": "iphone android cel",
    "prayer": "pray praying muslim muslims musulman musulmans musulmanes rezar oracion "
    "mosque prieres priere اصلي نصلي صلي",
    "dress": "wear wearing porter tenue vetements ropa ملابس البس",
    "weather": "cold froid frio rain pleut llueve temperature temperatura الطقس طقس برد",
    "interpretation": "arabic arabe french francais frances english anglais ingles spanish "
    "espagnol espanol language languages langue langues idioma idiomas العربي العربيه "
    "الفرنسي الانجليزي الانكليزي الاسباني لغه اللغه",
}
# How delegates describe a situation rather than name the service (symptoms for health, watching
# for recordings, family words for children, a meeting for a room to book, proof for a
# certificate) and regional words for the same things (Maghrebi "كبوط" and "فاليزة", Latin
# American "chamarra" and "carro", French "valoche", "خلي" for "leave it" in the Gulf, the Levant
# and the Maghreb); each concept in the four languages.
_SITUATIONS: dict[str, str] = {
    "health": "fever feverish cough coughing flu symptom fievre tousse tousser toux grippe "
    "rhume symptome fiebre fiebrecita tos toser gripe resfriado sintoma sintomas "
    "حمى سخونه سعال كحه انفلونزا زكام اعراض",
    "recording": "watch watching rewatch regarder revoir visionner rever mirar verla verlo "
    "اشاهد مشاهده نشاهد اتفرج نتفرج",
    "children": "daughter son newborn kiddo fille fils nourrisson petits gamin gamins hijita "
    "hijito nene nena recien صغار الصغار ولدي ولد طفلي طفلتي دراري الدراري",
    "quiet": "silent peaceful paisible calma sosiego ساكت صامت",
    "side_event": "meeting meetings meet reunion reunions reunir reunirme reunirnos reunirse "
    "اجتماع اجتماعات لاجتماع نجتمع اجتمع",
    "certificate": "certify certifying justificatif justificatifs attester certifie certifica "
    "certifiquen افاده الافاده تثبت يثبت",
    "parking": "carro auto autos عربيه عربيتي طوموبيل",
    "cloakroom": "overcoat rucksack valoche doudoune chamarra campera chompa valija كبوط الكبوط "
    "فاليزه الفاليزه فاليز شنطتي خلي نخلي اخلي",
}
CONCEPTS = {
    concept: (
        *CONCEPTS.get(concept, ()),
        *_COLLOQUIAL.get(concept, "").split(),
        *_WIDER.get(concept, "").split(),
        *_SITUATIONS.get(concept, "").split(),
    )
    for concept in {**CONCEPTS, **_COLLOQUIAL, **_WIDER, **_SITUATIONS}
}

# Filler that says nothing about the subject, as typed in chats.
_FILLER = (
    "im ive dont cant wanna gonna got get just still also really know tell guys anyone someone "
    "somewhere anywhere possible like ok pls thx "
    "jai j c koi kwa stp svp ya y quon on faut dois veux voudrais aidez moi truc besoin "
    "porfa porfavor favor alguien algun alguna necesito quiero tengo oye "
    "شو ايش بدي ابغى ابي عايز عاوز محتاج احتاج لو سمحت يا فيه شي اشي عشان علشان لازم ولا هاد "
    "هاي هذا هذه شوي شويه بس كمان رح راح منين كيفاش ازاي اذا ايه انا احنا نحن عند عندي بقدر اقدر "
    "يعني طيب "
    "required mandatory obligatoire obligatorio مطلوب ضروري"
)
# Grammar words of spoken Arabic (Levantine, Gulf, Egyptian, Maghrebi) and texting contractions:
# "mine", "which", "inside", "there is", the question particle. They carry no subject.
_DIALECT = (
    "اللي تبعي تبعك تبعنا تبعكم تبعه جوا جوه وانا حابب وش ليش كده هيك هيدا هيدي دي ده "
    "ديالي ديالك ديال كاين كاينة واش بزاف شنو شنوة اشنو بغيت نبغي خاصني خصني معايا معاك "
    "ندير نديرو دابا "
    "pa qq qqch qqn "
    # Yes and no: "or not", "ou non", "o no", "ولا لأ" ask whether, not what.
    "nope yes yeah oui non si nada ni لا مش مو موش اه ايوه نعم"
)
FUNCTION_WORDS = FUNCTION_WORDS | frozenset(_FILLER.split()) | frozenset(_DIALECT.split())

# Everyday words that frame a question without being its subject: "can I BRING my baby",
# "where do I PUT my jacket", "is it OK to COME in jeans". The matcher counts them like common
# words: one the index does not know does not make the question out of scope. Inflections are
# found through their stems; words that name a conference subject belong in CONCEPTS instead.
_COMMON = (
    # English
    "come coming came go going went bring brought take took taken put leave left give "
    "find found look looking see seen use using make made do doing done say said ask "
    "asked try trying keep let allowed allow able supposed expected arrive arriving "
    "arrived arrival reach back again still yet already ever even only also too very "
    "quite right ok okay good best nice fine kind sort thing things stuff way place "
    "spot somewhere anywhere everywhere around nearby near close inside outside "
    "today tonight tomorrow yesterday morning afternoon evening day days week time "
    "people person everyone everybody anybody guy guys folks one ones other others "
    "first last happen happens happening work works working problem issue help dying "
    "exactly actually basically probably maybe perhaps quick quickly hey hmm lol btw "
    "tmrw tmr tmrow tomoz min mins minute minutes hr hrs hour hours am pm "
    # French
    "venir viens vient venu aller vais va allons vont apporter amener emmener prendre "
    "prends mettre mets laisse trouver trouve chercher cherche voir faire fais fait "
    "dire dis demander essayer pouvoir peux pouvons doit devons arriver arrive arrivee "
    "encore deja aussi tres bien bon bonne chose truc machin endroit lieu coin "
    "quelque part ici la-bas aujourd hui demain hier matin soir apres-midi jour "
    "journee semaine gens personne quelqu tout tous toute toutes autre autres premier "
    "dernier marche probleme souci aide vraiment juste alors donc bref genre "
    "aprem dem demain mn minute minutes heure heures "
    # Spanish
    "venir vengo viene ir voy vamos van traer traigo llevar llevo tomar poner pongo "
    "dejar dejo encontrar buscar busco ver hacer hago dice decir preguntar pedir "
    "intentar poder podemos debo debemos llegar llego llegando llegada todavia ya "
    "tambien muy bien bueno buena cosa cosas lugar sitio parte aqui alla alli hoy "
    "manana ayer tarde noche dia semana gente persona todos todo toda otra otro "
    "primero ultimo funciona problema ayuda realmente pues entonces che wey chamba "
    "mnn minuto minutos hora horas rato "
    # Arabic (MSA and dialects)
    "اجي اجا جاي تيجي يجي نجي اروح يروح نروح روح اجيب جيب يجيب نجيب احط حط نحط اخذ "
    "اخد ناخد اعمل نعمل يعمل اسوي نسوي سوي الاقي القى لقى الاقيه اشوف نشوف شاف "
    "اقول قول اسال نسال اوصل نوصل وصلت اوصل وصل بعد لسه لسا خلاص كمان برضه جدا "
    "كتير كثير مره حلو تمام كويس منيح زين شي حاجه حاجات مكان محل هون هنا هناك "
    "النهارده اليوم بكره بكرا غدا امبارح الصبح المسا اليوم يوم ناس حد احد حدا واحد "
    "كل الكل تاني غير اول اخر مشكله مساعده فعلا بحط بنحط بروح بجيب بعمل بسوي بلاقي بشوف "
    "دقيقه دقايق دقائق ساعه ساعات "
    "بلاصه بلاصة "
    # what is going on: "que se passe-t-il", "qué pasa", "ماذا يجري"
    "passe passer pasa pasando ocurre يجري يحدث بيصير يصير صاير"
)
COMMON_WORDS: frozenset[str] = frozenset(_COMMON.split())

# --- Questions the organisers' text cannot answer ---------------------------------------------
# A question about a price, or asking the organisers to do something for the delegate, is out of
# scope unless the entry it meets speaks of that itself (a fee, an amount, "free"; "book").

# Words that ask what something costs ("costs" and "frais" also name expenses to be refunded,
# so only the verbs and the words for a price are here).
_PRICE_WORDS_TEXT = (
    "price prices priced pricing cost costing expensive cheap cheaper pricey fee fees "
    "prix cout coute coutent couter coutera cher chere chers cheres "
    "precio precios cuesta cuestan costo coste costar caro cara caros baratos barato "
    "سعر اسعار السعر الاسعار بكم تكلفه التكلفه كلفه الكلفه تكلف يكلف بتكلف ثمن رسوم الرسوم "
    "غالي رخيص"
)
PRICE_WORDS: frozenset[str] = frozenset(_PRICE_WORDS_TEXT.split())
# Ways of asking "how much is it" without a price word. "How much" asks a price unless a measure
# of time or a count follows it; "combien" and "cuánto" ask one only in these set phrases
# ("combien de jours", "cuánto frío" do not).
HOW_MUCH: tuple[tuple[str, ...], ...] = (
    ("how", "much"),
    ("c", "est", "combien"),
    ("cest", "combien"),
    ("ca", "fait", "combien"),
    ("combien", "ca"),
    ("combien", "pour"),
    ("combien", "le"),
    ("combien", "la"),
    ("combien", "les"),
    ("cuanto", "es"),
    ("cuanto", "sale"),
    ("cuanto", "vale"),
    ("cuanto", "cobran"),
    ("cuanto", "hay", "que", "pagar"),
    ("a", "cuanto"),
)
_NOT_A_PRICE_TEXT = "time longer later earlier early long many de d temps tiempo"
NOT_A_PRICE: frozenset[str] = frozenset(_NOT_A_PRICE_TEXT.split())
# What an entry says when it does answer a price: free, paid, an amount in a currency.
_PRICE_ANSWERS_TEXT = (
    "free paid payable charge gratuit gratuite gratuits gratuites gratuitement payant "
    "payante gratis gratuito gratuita gratuitos gratuitas pago pagado مجاني مجانا مجانيه "
    "ببلاش مدفوع"
)
PRICE_ANSWERS: frozenset[str] = frozenset(_PRICE_ANSWERS_TEXT.split())
CURRENCIES = (
    r"(?:\b(?:chf|kes|ksh|usd|eur|gbp|us\$|francs?|shillings?|dollars?|euros?|d[oó]lares|"
    r"chel[ií]n|chelines)\b|[$€£]|فرنك|شلن|دولار|يورو)"
)
# Asking the organisers to act for the delegate: "book me a taxi", "change my flight",
# "réservez-moi", "cámbiame el vuelo", "احجزلي".
_ACT_VERBS_TEXT = (
    "book booking rebook reserve cancel change modify extend upgrade find "
    "reserver reservez reserve annuler annulez changer changez modifier modifiez prolonger "
    "trouver trouvez "
    "reservar reservame reservarme reservan reservas cancelar cancelame cambiar cambiame "
    "cambien modificar extender buscar buscame busquen encontrar conseguir conseguirme "
    "احجز احجزلي احجزولي تحجزلي تحجز حجز الغي الغاء غير غيرلي تغيير عدل تعديل مدد دورلي "
    "لاقيلي"
)
ACT_VERBS: frozenset[str] = frozenset(_ACT_VERBS_TEXT.split())
# Who the act is for (the delegate) or the delegate's own travel.
_FOR_ME_TEXT = (
    "me my moi mon ma mes mi mis لي الي ياي "
    "flight flights ticket tickets vol vols billet billets vuelo vuelos boleto boletos "
    "pasaje pasajes رحله رحلتي تذكره تذكرتي التذكره طياره الطياره"
)
FOR_ME: frozenset[str] = frozenset(_FOR_ME_TEXT.split())
# Region codes whose names are not places a delegate would ask about ("world", "European Union",
# "United Nations"), and so never mark a question as being about somewhere else.
NOT_PLACES: frozenset[str] = frozenset({"001", "EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"})
# Place names that are also everyday words or people's names in one of the four languages
# ("seul" is "alone", "reunion" a meeting, "jersey" a pullover, "ماهي" is "what is" typed as
# one word, "سنتر" a centre): they never mark a question as being about somewhere else.
_PLACE_LOOKALIKES_TEXT = (
    "wake troll casey davis palmer darwin chad christmas navidad stanley regina sark oral "
    "jersey resolute phoenix santiago sidney salvador reunion seul canton guinea mali "
    "ماهي مالي سنتر عمان"
)
PLACE_LOOKALIKES: frozenset[str] = frozenset(_PLACE_LOOKALIKES_TEXT.split())
# Words that introduce where the delegate comes from ("from Manila"): their home is context,
# not the subject of the question.
_FROM_WORDS_TEXT = "from depuis desde من via through transiting"
FROM_WORDS: frozenset[str] = frozenset(_FROM_WORDS_TEXT.split())
# "Je viens de Kinshasa", "vengo de Bogotá": a verb of coming or leaving, then "de".
_COME_WORDS_TEXT = (
    "come comes coming viens vient venons venu venue venus arrive arrivons vengo viene venimos "
    "llego llegamos soy somos "
    # Leaving from there ("je pars de Kinshasa", "salgo de Quito"), or the delegate's
    # organisation there ("una ONG de Cali").
    "pars partons parto salgo salimos ong ngo"
)
COME_WORDS: frozenset[str] = frozenset(_COME_WORDS_TEXT.split())

# --- The delegate's situation ----------------------------------------------------------------
# Words that tell the delegate's circumstances rather than the service asked about: travel
# ("my flight lands at 2pm"), where they come from and work ("security reasons back home", "I
# work in a sensitive context"), people with them, moments and feelings. Left unmet by an entry,
# such a word is context, not a subject the entry lacks; met by it, it counts as usual.
_SITUATION_TEXT = (
    # English
    "flight flights fly flying flew plane land lands landed landing travel travelling "
    "traveling travelled trip journey layover via home country countries office boss "
    "colleague colleagues coworker coworkers team organisation organization ngo donor donors "
    "partner partners counterpart counterparts family wife husband month months old year years "
    "weeks night early late soon before after during straight same just reason reasons "
    "security safety sensitive context personal private privately urgent urgently asap "
    "quickest fastest cheapest easiest options option tired exhausted stressed worried nervous "
    "sorry visitor visitors foreigner foreigners "
    # French
    "vol vols avion atterris atterrit atterrir atterrissage voyage voyager voyageant trajet "
    "escale retour rentre rentrer maison pays bureau travail travaille travailler boulot chef "
    "collegue collegues equipe ong bailleur bailleurs partenaire partenaires famille femme "
    "mari mois an ans annee semaines nuit tot tard bientot avant pendant meme raison raisons "
    "securite sensible contexte personnel urgent urgence vite rapide rapidement fatigue "
    "stresse inquiet desole visiteur visiteurs visiteuse etranger etrangere etrangers "
    # Spanish
    "vuelo vuelos avion aterrizo aterrice aterrizar aterrizando llegue acabo viaje viajo "
    "viajar viajando escala regreso volver casa pais oficina trabajo trabajar jefe colega "
    "colegas companero companeros companera equipo organizacion donante donantes socio socios "
    "familia esposa esposo mes meses ano anos semanas temprano antes despues durante mismo "
    "razon razones seguridad sensible contexto personal privado urgente rapido barato "
    "cansado estresado preocupado visitante visitantes extranjero extranjera extranjeros "
    # Arabic
    "طياره طيارتي الطياره رحلتي طيران سفر مسافر السفر بلدي البيت الشغل شغلي عملي مديري "
    "زميلي زميلتي زملائي زملاي الفريق منظمتي عائلتي زوجتي زوجي شهر شهور اشهر سنه سنين "
    "بالليل الليل الليله بدري متاخر قبل خلال نفس سبب اسباب لان امنيه مستعجل بسرعه "
    "زائر زائره زوار الزوار اجنبي اجنبيه اجانب الاجانب الاجنبي"
)
SITUATION_WORDS: frozenset[str] = frozenset(_SITUATION_TEXT.split())

# --- Members of one family ---------------------------------------------------------------------
# Things of one kind that a delegate names by name: a disease, a place of worship, the kind of
# place, a currency, a travel document. When a question names one member ("a covid test", "a
# mosque", "the hotel's wifi", "in euros") and an entry is about another member of the same family
# ("yellow fever", "the prayer room", "the venue's wifi", "CHF") without naming the one asked, the
# entry does not answer the question. Each member in the four languages; a phrase is matched word
# for word.
FAMILIES: dict[str, dict[str, tuple[str, ...]]] = {
    "disease": {
        "yellow_fever": ("yellow", "jaune", "amarilla", "الصفراء", "الصفرا"),
        "covid": ("covid", "covid-19", "covid19", "coronavirus", "corona", "كورونا", "كوفيد"),
        "cholera": ("cholera", "colera", "كوليرا", "الكوليرا"),
        "polio": ("polio", "poliomyelitis", "poliomyelite", "poliomielitis", "شلل"),
        "malaria": ("malaria", "paludisme", "paludismo", "palu", "ملاريا", "الملاريا"),
        "measles": ("measles", "rougeole", "sarampion", "الحصبة", "حصبة"),
        "typhoid": ("typhoid", "typhoide", "tifoidea", "التيفوئيد", "التيفويد"),
        "hepatitis": ("hepatitis", "hepatite", "الكبد"),
        "meningitis": ("meningitis", "meningite", "السحايا"),
        "ebola": ("ebola", "ايبولا"),
        "mpox": ("mpox", "monkeypox", "variole", "viruela", "جدري"),
    },
    "worship": {
        "prayer_room": (
            "prayer room",
            "prayer rooms",
            "prayer space",
            "place to pray",
            "lieu de priere",
            "espace de priere",
            "lugar de oracion",
            "espacio de oracion",
            "مكان للصلاة",
            "مكان صلاة",
            "multifaith",
            "interfaith",
            "salle de priere",
            "salle de prieres",
            "sala de oracion",
            "sala de rezo",
            "مصلى",
            "المصلى",
            "مصلي",
            "المصلي",
            "غرفة الصلاة",
            "غرفة صلاة",
        ),
        "mosque": (
            "mosque",
            "mosques",
            "mosquee",
            "mosquees",
            "mezquita",
            "mezquitas",
            "مسجد",
            "المسجد",
            "جامع",
            "الجامع",
        ),
        "church": (
            "church",
            "churches",
            "eglise",
            "iglesia",
            "chapel",
            "chapelle",
            "capilla",
            "كنيسة",
            "الكنيسة",
            "messe",
            "misa",
            "قداس",
        ),
        "synagogue": ("synagogue", "sinagoga", "كنيس"),
        "temple": ("temple", "templo", "معبد"),
    },
    "place": {
        "venue": ("venue", "sede", "cicg", "kicc", "ungiri", "مقر", "المقر"),
        "hotel": ("hotel", "hotels", "hostel", "airbnb", "فندق", "الفندق", "فندقي", "اوتيل"),
        "airport": ("airport", "aeroport", "aeropuerto", "مطار", "المطار", "jkia"),
        "station": ("station", "gare", "estacion", "cornavin", "محطة", "المحطة", "محطه"),
        "tram": ("tram", "tramway", "tranvia", "ترام", "الترام"),
    },
    "currency": {
        "chf": ("chf", "franc", "francs", "فرنك"),
        "kes": ("kes", "ksh", "shilling", "shillings", "chelin", "chelines", "شلن", "شيلنغ"),
        "usd": ("usd", "dollar", "dollars", "dolar", "dolares", "دولار", "بالدولار"),
        "eur": ("eur", "euro", "euros", "يورو", "باليورو"),
    },
    "document": {
        "visa": ("visa", "visas", "visado", "eta", "فيزا", "الفيزا", "تاشيرة", "التاشيرة"),
        "work_permit": (
            "work permit",
            "permis de travail",
            "permiso de trabajo",
            "تصريح عمل",
            "اذن عمل",
        ),
    },
}
