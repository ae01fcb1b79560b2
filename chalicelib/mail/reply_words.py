"""The words of reply_text.py: attribution verbs, header labels, forward and original-message lines, sign-offs,
taglines, disclaimers, in the languages the hub's agencies' mail clients write (issue 15). Anchored, bounded patterns
only: each is tested against one line of at most 1,000 characters.

The vocabulary started from what mail-parser-reply knows (en, de, cs, da, es, fr, it, nl, pl, sv, zh) and adds Welsh,
Romanian, Lithuanian, Portuguese, Turkish, Russian, Ukrainian, Bulgarian, Urdu, Bengali and Arabic.
"""

from __future__ import annotations

import re

# "wrote" in an attribution line ("On …, X wrote:", "Le … a écrit :", "Am … schrieb X:", "… napisał(a):").
WROTE = (
    r"wrote|writes|schrieb|schreibt|schreef|geschreven|[ée]crit|escribi[óo]|escreveu|ha scritto|scrisse|"
    r"napisa[łl](?:\(a\)|a)?|napsal(?:\(a\)|a)?|написал(?:\(а\)|а)?|написав|написала|написа|пише|пишет|"
    r"a scris|ra[šs][ėe]|para[šs][ėe]|yazd[ıi]|ysgrifennodd|skrev|kirjoitti|[íi]rta|كتب|لکھا|লিখেছেন|写道|寫道"
)
WROTE_LAST_WORDS = frozenset(
    [
        "wrote",
        "writes",
        "schrieb",
        "schreibt",
        "schreef",
        "geschreven",
        "écrit",
        "ecrit",
        "escribió",
        "escribio",
        "escreveu",
        "scritto",
        "scrisse",
        "napisał",
        "napisał(a)",
        "napisała",
        "napisal",
        "napsal",
        "napsal(a)",
        "napsala",
        "написал",
        "написал(а)",
        "написала",
        "написав",
        "написа",
        "пише",
        "пишет",
        "scris",
        "rašė",
        "parašė",
        "rase",
        "parase",
        "yazdı",
        "yazdi",
        "ysgrifennodd",
        "skrev",
        "kirjoitti",
        "írta",
        "irta",
        "كتب",
        "لکھا",
        "লিখেছেন",
        "写道",
        "寫道",
    ]
)
WROTE_RE = re.compile(rf"(?<!\w)(?:{WROTE})(?!\w)", re.IGNORECASE)
# Gmail in Russian writes no verb: "вт, 24 нояб. 2026 г. в 10:02, X <x@y>:" - a date and an address before ":".
ADDRESS_THEN_COLON = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+\s*>?\)?\s*[:：]$")
TIME = re.compile(r"\d{1,2}[:.]\d{2}")
YOU_WROTE = re.compile(r"\byou (?:wrote|writes)\b", re.IGNORECASE)
CLOSING = re.compile(r"^>\s*[:：]$")
ATTRIBUTION_START = re.compile(
    r"^(?:on|le|am|el|em|il|op|w dniu|dnia|dne|în|in|ar|на|в|den|d\.|at|il giorno|\d|\W)", re.IGNORECASE
)

FROM_LABELS = (
    "from|von|de|de la|od|van|da|kimden|от|від|від кого|nuo|oddi wrth|fra|från|lähettäjä|feladó|من|منجانب|প্রেরক|"
    "发件人|寄件者|보낸 사람|от кого|отправитель|absender|expéditeur|expediteur|remitente|mittente|afzender|nadawca|"
    "expeditor|expeditorul|gönderen|відправник|siuntėjas|подател|anfonwr"
)
OTHER_LABELS = (
    "sent|date|to|subject|cc|bcc|reply-to|organization|gesendet|an|betreff|datum|envoyé|envoyé le|à|a|objet|sujet|"
    "copie à|pour|message du|enviado|enviada|para|asunto|fecha|assunto|inviato|oggetto|data|verzonden|aan|onderwerp|"
    "wysłano|wysłane|do|temat|dw|kopia|adresat|отправлено|кому|тема|копия|копія|дата|надіслано|trimis|către|subiect|"
    "subiectul|dată|destinatarul|gönderildi|kime|konu|tarih|bilgi|išsiųsta|kam|tema|изпратено|до|относно|anfonwyd|at|"
    "pwnc|dyddiad|تاريخ الإرسال|إلى|الموضوع|التاريخ|بھیجا گیا|بنام|موضوع|পাঠানো হয়েছে|প্রাপক|বিষয়|skickat|till|ämne|"
    "sendt|til|emne|lähetetty|vastaanottaja|aihe|elküldve|címzett|tárgy|odesláno|komu|předmět|kopie|发送时间|收件人|"
    "主题|抄送|kopie \\(cc\\)"
)
LABEL = re.compile(
    rf"^[ \t]*\*?(?:(?P<from>{FROM_LABELS})|(?:{OTHER_LABELS}))\*?[ \t\u00a0]*[:：]\*?(?:[ \t]|$)", re.IGNORECASE
)
# Yahoo writes a forwarded header on one line: "From: X <x>To: …Sent: …Subject: …".
INLINE_LABELS = re.compile(r"(?:>|\w)\s*(?:to|sent|subject|an|gesendet|betreff|à|objet|do|temat|кому|тема)\s*:", re.I)

FORWARD_PHRASES = (
    "forwarded message|forwarded e-?mail|begin forwarded message|weitergeleitete nachricht|anfang der weitergeleiteten "
    "nachricht|message transféré|message transmis|début du message réexpédié|mensaje reenviado|inicio del mensaje "
    "reenviado|mensagem encaminhada|mensagem reencaminhada|início da mensagem (?:re)?encaminhada|messaggio inoltrato|"
    "inizio messaggio inoltrato|doorgestuurd bericht|begin doorgestuurd bericht|wiadomość przesłana dalej|przekazana "
    "wiadomość|treść przekazanej wiadomości|początek przekazywanej wiadomości|пересылаемое сообщение|пересланное "
    "сообщение|перенаправленное сообщение|начало переадресованного сообщения|переслане повідомлення|перенаправлене "
    "повідомлення|початок листа, що пересилається|mesaj redirecționat|începe mesajul redirecționat|mesaj transmis|"
    "iletilen ileti|iletilmiş mesaj|ileti başlangıcı|persiųstas laiškas|persiųsta žinutė|препратено съобщение|"
    "препратено писмо|neges wedi'i hanfon ymlaen|neges a anfonwyd ymlaen|الرسالة المعاد توجيهها|رسالة معاد توجيهها|"
    "آگے بھیجا گیا پیغام|ফরোয়ার্ড করা মেসেজ|vidarebefordrat (?:meddelande|mejl)|videresendt (?:meddelelse|melding|besked)|"
    "start på videresendt besked|přeposlaná zpráva|edelleenlähetetty viesti|välitetty viesti|továbbított üzenet"
)
ORIGINAL_PHRASES = (
    "original message|original e-?mail|ursprüngliche nachricht|original-nachricht|message d'origine|message original|"
    "mensaje original|mensagem original|messaggio originale|oorspronkelijk bericht|origineel bericht|wiadomość "
    "oryginalna|oryginalna wiadomość|исходное сообщение|оригинальное сообщение|оригінальне повідомлення|вихідне "
    "повідомлення|mesaj original|mesajul original|orijinal ileti|orijinal mesaj|originali žinutė|pradinis laiškas|"
    "оригинално съобщение|neges wreiddiol|الرسالة الأصلية|اصل پیغام|মূল বার্তা|oprindelig meddelelse|ursprungligt meddelande"
)
# A forward or original-message line is set off by rules ("-----Original Message-----") or ends with a colon
# ("Begin forwarded message:"); the same words in a sentence are not one.
MARKER = re.compile(
    rf"^[\s>*]*(?P<lead>[-=_]{{2,}})?[\s*]*(?:(?P<forward>{FORWARD_PHRASES})|(?P<original>{ORIGINAL_PHRASES}))"
    rf"[\s*]*(?P<trail>[-=_]{{2,}}|[:：])?",
    re.IGNORECASE,
)
SEPARATOR = re.compile(r"^[\s*]*(?:_{8,}|-{8,}|={8,})[\s*]*$")  # Outlook's underscores, Yahoo's and others' rules

FORWARD_SUBJECT = re.compile(
    r"^\s*(?:\[[^\]]{0,40}\]\s*)?(?:fwd?|wg|tr|rv|enc|i|pd|doorst|vs|vb|vl|ilt|İlt|пересл|fs|trs|ymlaen)\s*:", re.I
)
REPLY_SUBJECT = re.compile(
    r"^\s*(?:\[[^\]]{0,40}\]\s*)?(?:re|aw|sv|antw|odp|ynt|rif|r|ris|res|отв|ответ|відп|atb|ateb)\s*:", re.I
)

SIGN_OFF = re.compile(
    r"^(?:(?:kind|best|warm|warmest|many|with|all the)\s+(?:regards|wishes|thanks|best)|regards|best|cheers|thanks"
    r"(?: again| and regards| very much)?|thank you(?: very much)?|many thanks|sincerely|yours(?: sincerely| faithfully"
    r"| truly)?|take care|speak soon|mit freundlichen grüßen|viele grüße|beste grüße|liebe grüße|gruß|grüße|gruss|"
    r"cordialement|bien à vous|bien cordialement|merci|saludos|un saludo|atentamente|cumprimentos|atenciosamente|"
    r"cordiali saluti|saluti|distinti saluti|met vriendelijke groet(?:en)?|groeten|mvg|pozdrawiam|z poważaniem|"
    r"serdecznie pozdrawiam|с уважением|с наилучшими пожеланиями|з повагою|cu stimă|cu respect|toate cele bune|"
    r"pagarbiai|su pagarba|saygılarımla|iyi çalışmalar|с уважение|поздрави|cofion(?: cynnes| gorau)?|diolch|"
    r"med venlig hilsen|venlig hilsen|mvh|med vänlig hälsning|vänliga hälsningar|hälsningar|med vennlig hilsen|"
    r"مع التحية|مع خالص التحيات|شكرا|والسلام|شکریہ|دعاگو|ধন্যবাদ|শুভেচ্ছান্তে)",
    re.IGNORECASE,
)
SIGN_OFF_LINE = re.compile(rf"{SIGN_OFF.pattern}[\s,.!]*(?P<name>\S.{{0,40}})?$", re.IGNORECASE)
DASH_NAME = re.compile(r"^(?:-{1,2}(?! )|—|–|//|~)\s?(?P<name>\w[\w.'-]*(?:\s+[\w.'-]+){0,3})$")

TAGLINE = re.compile(
    r"^[(<\[]*\s*(?:"
    r"(?:sent|envoyé|enviado|inviato|verzonden|gesendet|wysłane|wysłano|отправлено|надіслано|trimis|sendt|skickat|"
    r"odesláno|изпратено|išsiųsta|anfonwyd)\s+(?:from|with|via|using|by|de(?:puis)?|desde|da|vanaf|van|met|von|z|с|з|"
    r"de pe|från|fra|iš|от|o|do)\s+[^,:;]{1,45}?(?:[,.]?\s*please excuse.{0,40})?"
    r"|get outlook for \w+|(?:von|vom) meinem .{1,40} gesendet|diese nachricht wurde von meinem .{1,60} gesendet"
    r"|(?:\w+ )?from (?:my )?(?:mobile|iphone|ipad|phone|android)\b[\w ]{0,20}"
    r"|.{1,30}'(?:umdan|imden|dan|den|tan|ten) gönderildi|從我的.{1,20}傳送|从我的.{1,20}发送"
    r")[.)>\]]*$",
    re.IGNORECASE,
)
LINK = re.compile(r"\[([^\]]{0,80})\]\([^)\s]{0,300}\)|<[^>\s]{0,300}>|https?://\S{0,300}")

DISCLAIMER = re.compile(
    r"^(?:this (?:e-?mail|message|communication)\b.{0,80}\b(?:confidential|intended (?:solely |only )?for|privileged"
    r"|has been scanned|may contain)|(?:confidentiality|legal|privacy)(?: notice)?\s*:|disclaimer\b|important(?: notice)?"
    r"\s*:|the (?:information|contents?) (?:contained )?in this (?:e-?mail|message|communication)"
    r"|if you (?:are not the intended recipient|have received this (?:e-?mail|message|communication) in error))",
    re.IGNORECASE,
)
BANNER = re.compile(
    r"^\W*(?:caution|warning|external(?: email| sender)?|\[external\])\b.{0,40}(?:originated (?:from )?outside|external"
    r" sender|outside (?:of )?(?:the|this|our) (?:organi[sz]ation|company|council))",
    re.IGNORECASE,
)
LIST_FOOTER = re.compile(r"mailing list|listinfo|unsubscribe", re.IGNORECASE)
JUNK = re.compile(r"^[\s\u1427\u200b\u200c\u200d\ufeff_\-=*~+#.•]*$")  # rules, Gmail's ᐧ tracker, zero-width
