"""Demo data of the beneficiary file: about 40 people in CRT Anjou Bleu and 12 in CRT Baugeois
Vallée (× scale), with valid but fictitious NIR (test OID), caregivers, care teams, consents,
medical sections and AGGIR evaluations giving GIR 1 to 4. Written through the services."""

from datetime import date, timedelta
from decimal import Decimal
from random import Random

from django.contrib.auth import get_user_model
from django.utils import timezone

from maillage.core.audit import safe_details
from maillage.core.demo import (
    HISTORY_DAYS,
    DemoContext,
    agreed,
    audit_event,
    insert_rows,
    sex_of,
)
from maillage.core.models import AuditEvent, Membership
from maillage.core.roles import Role
from maillage.territory.models import Commune, Organization, Professional

from . import aggir, icope, services
from .identity import IdentityStatus, InsOid
from .models import Beneficiary, CareTeamMember, Consent, TimelineEvent

COUNTS = {"anjou_bleu": 40, "baugeois": 12}

WOMEN = ["Jeanne", "Marie", "Odette", "Simone", "Germaine", "Yvonne", "Madeleine", "Suzanne",
         "Paulette", "Raymonde", "Colette", "Denise", "Lucienne", "Monique", "Thérèse",
         "Gisèle", "Andrée", "Marcelle", "Renée", "Solange"]
MEN = ["Marcel", "René", "André", "Roger", "Henri", "Louis", "Robert", "Georges", "Lucien",
       "Raymond", "Maurice", "Fernand", "Gérard", "Jean", "Pierre", "Bernard"]
SURNAMES = ["Hamon", "Guillot", "Chevreau", "Raimbault", "Bouvet", "Gasnier", "Cailleau",
            "Poilane", "Brault", "Gohier", "Hervé", "Jouin", "Lebreton", "Ménard", "Oger",
            "Pineau", "Rabouin", "Saulou", "Tessier", "Voisine", "Aubert", "Belliard", "Cochard",
            "Delahaye", "Esnault", "Foucault", "Gourdon", "Huet", "Landais", "Moriceau"]
STREETS = ["rue de la Mairie", "rue du Commerce", "route d'Angers", "rue des Écoles",
           "impasse des Lilas", "chemin du Moulin", "place de l'Église", "rue Pasteur",
           "lieu-dit La Grande Haie", "rue de la Forge"]
RELATIONS = ["fille", "fils", "épouse", "époux", "nièce", "belle-fille", "voisine"]
#: A relation said of a man, of a woman (the draws stay those of ``RELATIONS``: the demo's
#: random sequence, and so every other record, is unchanged).
AS_MAN = {"fille": "fils", "épouse": "époux", "nièce": "neveu", "belle-fille": "gendre",
          "voisine": "voisin"}
AS_WOMAN = {"fils": "fille", "époux": "épouse"}


def _relation(first_name: str, drawn: str) -> str:
    """The drawn relation, in the gender of the relative's first name (« Henri, nièce » was
    shown)."""
    return (AS_MAN if first_name in MEN else AS_WOMAN).get(drawn, drawn)


SPOUSES = {"épouse", "époux"}


def _relative(first_name: str, drawn: str, *, sex: str, alone: bool) -> tuple[str, str]:
    """A relative's first name and relation (``_relation``), drawn as ever; a spouse lives with
    the person and is of the other sex (« Yvonne, épouse » of Mme Odette was shown): another
    first name takes the drawn one's place if needed (no draw), and the spouse of a person
    living alone is a son or a daughter."""
    if drawn in SPOUSES:
        if alone:
            drawn = "fille"
        else:
            names = WOMEN if sex == "M" else MEN
            if first_name not in names:
                first_name = names[(WOMEN + MEN).index(first_name) % len(names)] \
                    if first_name in WOMEN + MEN else names[0]
    return first_name, _relation(first_name, drawn)


ALLERGIES = ["", "", "Pénicilline", "Iode", "Aucune connue", "AINS"]
TREATMENTS = [
    "Kardégic 75 mg 1/j ; Bisoprolol 2,5 mg 1/j",
    "Metformine 850 mg 2/j ; Amlodipine 5 mg 1/j",
    "Donépézil 10 mg 1/j ; Paracétamol 1 g si douleur",
    "Lévothyrox 75 µg 1/j ; Furosémide 40 mg 1/j",
    "Apixaban 2,5 mg 2/j ; Lercanidipine 10 mg 1/j",
]


def _allergies(text: str) -> dict:
    """An explicit answer: « Aucune allergie connue » is one (the DLU demo leaves a few
    unanswered, as a team filling the file over time)."""
    if text in ("", "Aucune connue"):
        return {"allergies_status": "none_known", "allergies": ""}
    return {"allergies_status": "documented", "allergies": text}


def _directives(draw: float) -> dict:
    if draw < 0.7:
        return {"advance_directives_status": "none", "advance_directives": ""}
    return {"advance_directives_status": "documented",
            "advance_directives": "copie au dossier"}


HISTORY = [
    "HTA, fibrillation atriale, chute avec fracture du poignet en 2023",
    "Diabète de type 2, insuffisance rénale modérée",
    "Troubles neurocognitifs majeurs (Alzheimer), dénutrition modérée",
    "Insuffisance cardiaque, BPCO",
    "Maladie de Parkinson, hypotension orthostatique",
]


def _nir(rng, sex: str, birth: date, place: str) -> str:
    body = f"{1 if sex == 'M' else 2}{birth.year % 100:02d}{birth.month:02d}{place}"
    body += f"{rng.randint(1, 999):03d}"
    return body + f"{97 - int(body) % 97:02d}"


def _codes_for_gir(rng, wanted: int) -> str:
    """Random but coherent AGGIR codes whose GIR is ``wanted`` (rejection sampling)."""
    weights = {1: "CCCCCCCBBB", 2: "BBBBBCBBAA", 3: "ABBBBBBBBA", 4: "AABBABBBBA"}
    base = weights[wanted]
    for _ in range(500):
        codes = "".join(
            c if rng.random() < 0.75 else rng.choice("ABC") for c in base
        )
        if aggir.gir_from_codes(codes)[1] == wanted:
            return codes
    return base


def _grid_inputs(codes: str, rng) -> dict:
    letters = dict(zip(aggir.DISCRIMINANT_CODES, codes, strict=True))
    for code in aggir.ILLUSTRATIVE_CODES:
        letters[code] = rng.choice("BCC")
    return {code: {"code": letters[code.split(".")[0]]} for code in aggir.INPUT_CODES}


class _Batch:
    """What ``services.care_team_add`` and ``services.consent_record`` write for a new file
    (the row, its audit event, its timeline entry), inserted in bulk. The services' checks
    hold by construction here: team members and partners come from the CRT itself, the file
    is new (no duplicate member, one GP, no previous consent), the actor is the coordinator
    — so the demo skips their queries (nine calls per person)."""

    def __init__(self, actor):
        self.actor = actor
        self.rows: dict[type, list] = {CareTeamMember: [], Consent: []}
        self.events: list[AuditEvent] = []
        self.timeline: list[TimelineEvent] = []

    def _write(self, obj, b, *, action: str, kind: str, title: str, details=None) -> None:
        now = timezone.now()
        obj.created_at = now  # as after ``save()``: the audit label gives the row's date
        event = audit_event(actor=self.actor, action=action, at=now, obj=obj, beneficiary=b,
                            details=safe_details(obj, details))
        event.ip_address, event.user_agent = None, ""  # as audit_log outside a request
        self.rows[type(obj)].append(obj)
        self.events.append(event)
        self.timeline.append(TimelineEvent(
            crt=b.crt, beneficiary=b, occurred_at=now, kind=kind, title=title[:250],
            is_health_data=False, created_by=self.actor, updated_by=self.actor))

    def care_team_add(self, b, *, user=None, professional=None, role: str, start_date: date,
                      is_gp: bool = False, is_referent: bool = False,
                      visits_home: bool = True) -> None:
        member = CareTeamMember(
            crt=b.crt, beneficiary=b, user=user, professional=professional, role=role,
            start_date=start_date, is_gp=is_gp, is_referent=is_referent,
            visits_home=visits_home, created_by=self.actor, updated_by=self.actor)
        self._write(member, b, action="care_team.member_added", kind="care_team.added",
                    title=f"Cercle de soins : {member}")

    def consent_record(self, b, *, kind: str, granted: bool, collected_on: date, method: str,
                       organization=None, share_health: bool = False,
                       scope_notes: str = "") -> None:
        consent = Consent(
            crt=b.crt, beneficiary=b, kind=kind, granted=granted, organization=organization,
            share_identity=True, share_planning=True, share_health=share_health,
            scope_notes=scope_notes, collected_on=collected_on, method=method,
            collected_by=self.actor, created_by=self.actor, updated_by=self.actor)
        verb = "accord" if granted else "opposition / refus"
        title = f"Consentement ({verb}) : {consent.get_kind_display()}"
        if organization:
            title += f" — {organization.name}"
        self._write(consent, b, action="consent.recorded", kind="consent.recorded", title=title,
                    details={"objet": consent.get_kind_display(), "sens": verb})

    def flush(self) -> None:
        for model, rows in self.rows.items():
            model.objects.bulk_create(rows, batch_size=500)
            rows.clear()
        insert_rows(TimelineEvent, self.timeline)
        insert_rows(AuditEvent, self.events)
        self.events, self.timeline = [], []


def _vital_signs(b, start: date, *, nurse, partner, rng: Random) -> None:
    """A few measures on the admission morning: weight and blood pressure by the CRT's nurse
    (or, for the demo partner's patients, the blood pressure posted by the partner's software)
    and a heart rate from a telemonitoring device (own ``rng``: the other draws stay as they
    were)."""
    from .models import VitalSign
    from .vitals import vital_sign_record

    morning = DemoContext.day_at(start, 9, rng.randint(0, 20))
    vital_sign_record(actor=nurse, beneficiary=b, kind=VitalSign.Kind.BODY_WEIGHT,
                      measured_at=morning, value=round(rng.uniform(45, 85), 1))
    systolic = rng.randint(110, 160)
    vital_sign_record(actor=partner or nurse, beneficiary=b,
                      kind=VitalSign.Kind.BLOOD_PRESSURE, measured_at=morning,
                      systolic=systolic, diastolic=systolic - rng.randint(40, 60),
                      source=VitalSign.Source.PARTNER if partner else VitalSign.Source.TEAM)
    vital_sign_record(actor=nurse, beneficiary=b, kind=VitalSign.Kind.HEART_RATE,
                      measured_at=morning, value=rng.randint(55, 95),
                      source=VitalSign.Source.TELEMONITORING, device="Tensiomètre connecté")


def load(ctx: DemoContext) -> None:
    users = get_user_model().objects
    for key, count in COUNTS.items():
        crt = ctx.crts[key]
        rng = ctx.rng
        communes = list(Commune.objects.filter(crt=crt, covers_volet2=True).order_by("name"))
        staff = {
            role: [m.user for m in Membership.objects.filter(crt=crt, roles__role=role)
                   .select_related("user").order_by("user__username")]
            for role in (Role.COORDINATOR, Role.DOCTOR, Role.NURSE, Role.CARE_AIDE,
                         Role.ADMIN_STAFF)
        }
        coordinator = staff[Role.COORDINATOR][0]
        doctor = staff[Role.DOCTOR][0]
        gps = list(Professional.objects.filter(crt=crt, profession=Professional.Profession.GP))
        nurses = list(Professional.objects.filter(crt=crt, profession="nurse"))
        had = Organization.objects.get(crt=crt, kind=Organization.Kind.HAD)
        dates = Random(f"{key}-admissions")
        team = _Batch(coordinator)
        for index in range(count * ctx.scale):
            sex = "F" if rng.random() < 0.65 else "M"
            first = rng.choice(WOMEN if sex == "F" else MEN)
            second = rng.choice(WOMEN if sex == "F" else MEN)
            surname = rng.choice(SURNAMES)
            if key == "anjou_bleu" and index == 0:
                sex, first, second, surname = "F", "Jeanne", "Louise", "Hamon"
            # Admitted over the 14 months of history (own rng: the rest stays as it was); the
            # file is opened a couple of weeks before, during the admission steps.
            start = ctx.today - timedelta(days=dates.randint(30, HISTORY_DAYS - 30))
            ctx.clock(start - timedelta(days=dates.randint(7, 21)))
            birth = date(rng.randint(1926, 1956), rng.randint(1, 12), rng.randint(1, 28))
            commune = rng.choice(communes)
            place = commune.insee_code if rng.random() < 0.6 else rng.choice(communes).insee_code
            married = sex == "F" and rng.random() < 0.5
            status = rng.choice([IdentityStatus.QUAL, IdentityStatus.QUAL, IdentityStatus.VALI,
                                 IdentityStatus.PROV])
            b = services.beneficiary_create(
                actor=coordinator, crt=crt, duplicates_checked=True,
                birth_name=surname.upper() if not married else rng.choice(SURNAMES).upper(),
                used_name=surname.upper() if married else "",
                first_names=f"{first} {second}", first_name=first, used_first_name="",
                birth_date=birth, sex=sex, birth_place_code=place,
                ins_matricule=_nir(rng, sex, birth, place) if status != "PROV" else "",
                ins_oid=InsOid.TEST_NIR if status != "PROV" else "",
                identity_status=status,
                identity_document="id_card" if status in {"VALI", "QUAL"} else "",
                address=f"{rng.randint(1, 60)} {rng.choice(STREETS)}", address_complement="",
                commune=commune, phone=f"02 61 91 {rng.randint(10, 99)} {rng.randint(10, 99)}",
                mobile="", email="",
            )
            alone = rng.random() < 0.55
            key_box = rng.random() < 0.6
            # The situation's fields, drawn in their order (the same draws as ever), then the
            # trusted person's name (a woman's, drawn) and relation.
            situation = dict(
                living_situation=Beneficiary.LivingSituation.ALONE if alone
                else Beneficiary.LivingSituation.COUPLE,
                housing_type=rng.choice(["house", "house", "house", "apartment"]),
                floor=0, has_lift=False, has_teleassistance=rng.random() < 0.8,
                teleassistance_provider="Présence Verte" if rng.random() < 0.5 else "Vitaris",
                has_key_box=key_box, key_box_code=f"{rng.randint(1000, 9999)}" if key_box else "",
                has_grab_bars=rng.random() < 0.5, has_medical_bed=rng.random() < 0.3,
                has_apa=rng.random() < 0.85, apa_plan="20 h d'aide à domicile par mois",
                protection_measure=rng.choice(["", "", "", "", "curatorship", "guardianship"]),
            )
            drawn = None if rng.random() < 0.3 else rng.choice(WOMEN)
            trusted, relation = _relative(drawn or "", rng.choice(RELATIONS), sex=sex,
                                          alone=alone)
            services.beneficiary_update_situation(
                actor=coordinator, beneficiary=b, version=b.version, **situation,
                trusted_person_name=f"{trusted} {surname}" if drawn else "",
                trusted_person_relation=relation if drawn else "",
            )
            relative, relation = _relative(rng.choice(WOMEN + MEN), rng.choice(RELATIONS),
                                           sex=sex, alone=alone)
            caregiver = services.caregiver_save(
                actor=coordinator, beneficiary=b,
                last_name=surname, first_name=relative, relation=relation,
                phone=f"06 39 98 {rng.randint(10, 99)} 00",
                email="", address="", lives_with=not alone, is_main=True,
                exhaustion_risk=rng.choice(["low", "medium", "high"]), notes="",
            )
            if key == "anjou_bleu" and index == 0:
                # The demo portal accounts: Jeanne Hamon and her son Michel.
                caregiver.first_name, caregiver.relation = "Michel", "fils"
                caregiver.user = users.get(username="caregiver")
                caregiver.save(update_fields=["first_name", "relation", "user"])
                b.portal_user = users.get(username="beneficiary")
                b.save(update_fields=["portal_user"])
            rng.randint(30, 330)  # was the admission date (kept: same draws after it)
            ctx.clock(start)
            if key == "anjou_bleu" and index == 0:
                _documents(b, coordinator=coordinator, doctor=doctor, day=start)
            # The coordinator follows every file without being in its care team (nobody adds
            # themselves to a care team); the CRT's nurse is the referent.
            team.care_team_add(b, user=doctor,
                                   role="Médecin coordonnateur", start_date=start,
                                   visits_home=False)
            for aide in rng.sample(staff[Role.CARE_AIDE], k=min(2, len(staff[Role.CARE_AIDE]))):
                team.care_team_add(b, user=aide, role=agreed("Aide-soignant{e}", sex_of(aide)),
                                   start_date=start)
            if staff[Role.NURSE]:
                nurse = rng.choice(staff[Role.NURSE])
                team.care_team_add(b, user=nurse,
                                   role=agreed("Infirmi{er} du CRT, référent{e}", sex_of(nurse)),
                                   start_date=start, is_referent=True)
            gp = gps[0] if key == "anjou_bleu" and index % 3 == 0 else rng.choice(gps)
            if key == "anjou_bleu" and index % 3 == 0:
                gp = Professional.objects.get(crt=crt, user__username="partner")
            team.care_team_add(b, professional=gp,
                                   role="Médecin traitant", start_date=start, is_gp=True,
                                   visits_home=False)
            if nurses:
                team.care_team_add(b,
                                       professional=rng.choice(nurses),
                                       role="Infirmier·ère libéral·e", start_date=start)
            opposed = index % 17 == 16
            team.consent_record(
                b, kind=Consent.Kind.CARE_TEAM_SHARING,
                granted=not opposed, collected_on=start, method="written",
                share_health=True,
            )
            team.consent_record(b, kind="oncall_information",
                                    granted=rng.random() < 0.9, collected_on=start,
                                    method="written")
            if index % 9 == 4:
                team.consent_record(
                    b, kind=Consent.Kind.PARTNER_SHARING,
                    organization=had, granted=True, collected_on=start, method="oral",
                    share_health=True, scope_notes="Évaluation en vue d'une HAD",
                )
            medical = b.medical
            services.medical_update(
                actor=doctor, record=medical, version=medical.version,
                history=rng.choice(HISTORY), **_allergies(rng.choice(ALLERGIES)),
                treatments=rng.choice(TREATMENTS), **_directives(rng.random()),
                usual_state="Autonome pour les transferts avec aide technique, "
                            "orienté·e, s'alimente seul·e.",
            )
            gir = rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 4, 4])
            services.aggir_record(
                actor=doctor, beneficiary=b, evaluated_on=start,
                inputs=_grid_inputs(_codes_for_gir(rng, gir), rng),
            )
            if index % 2 == 0:
                _vital_signs(b, start, nurse=staff[Role.NURSE][0] if staff[Role.NURSE]
                             else doctor, partner=gp.user if gp.user_id else None,
                             rng=Random(f"{key}-vitals-{index}"))
            if rng.random() < 0.5:
                answers = {q.code: not q.positive_answer for q in icope.QUESTIONS}
                for q in rng.sample(icope.QUESTIONS, k=2):
                    answers[q.code] = q.positive_answer
                services.icope_record(actor=staff[Role.NURSE][0] if staff[Role.NURSE]
                                      else doctor, beneficiary=b,
                                      screened_on=start, answers=answers)
        # The care teams and consents of the CRT's files, in one insert per kind (nothing
        # above reads them back).
        team.flush()
        if key == "anjou_bleu":
            _telemonitoring(ctx, crt, doctor=doctor)


#: The people of CRT Anjou Bleu followed by a connected scale (indices of the load order;
#: their GP is the demo partner, whose software posts the measures): the first loses weight,
#: the last weighing falls below the threshold the doctor set (one alert on the on-call
#: screen); the second stays within it.
TELEMONITORED = (3, 6)


def _telemonitoring(ctx: DemoContext, crt, *, doctor) -> None:
    """Eight weeks of weights from a connected scale and the doctor's thresholds, for the
    charts of the file and the on-call screen (through the services: thresholds checked, one
    alert raised). Own ``Random``: the other draws stay as they were."""
    from .models import VitalSign
    from .vitals import vital_sign_record, vital_thresholds_set

    people = list(Beneficiary.objects.filter(crt=crt).order_by("pk"))
    scale = get_user_model().objects.filter(username="partner").first() or doctor
    for n, index in enumerate(TELEMONITORED):
        if index >= len(people):
            continue
        b, rng = people[index], Random(f"telemonitoring-{index}")
        weight = Decimal(rng.randint(620, 750)) / 10
        ctx.clock(ctx.today - timedelta(days=60))
        vital_thresholds_set(actor=doctor, beneficiary=b, version=0,
                             body_weight_low=weight - Decimal("3.2"), heart_rate_high=100)
        for week in range(8):
            day = ctx.today - timedelta(days=57 - 7 * week)
            when = DemoContext.day_at(day, 8, rng.randint(0, 30))
            ctx.clock(when)
            loss = (Decimal("0.5") if n == 0 else Decimal("0.1")) * week
            vital_sign_record(
                actor=scale, beneficiary=b, kind=VitalSign.Kind.BODY_WEIGHT, measured_at=when,
                value=weight - loss, source=VitalSign.Source.TELEMONITORING,
                device="Balance connectée",
                identifier=f"urn:maillage:demo:balance|{b.public_id}-{week}")
            vital_sign_record(
                actor=scale, beneficiary=b, kind=VitalSign.Kind.HEART_RATE, measured_at=when,
                value=rng.randint(62, 88), source=VitalSign.Source.TELEMONITORING,
                device="Balance connectée")


def _pdf(title: str) -> bytes:
    """A one-page PDF (what an upload would be: the document's pages are not the point)."""
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _documents(b: Beneficiary, *, coordinator, doctor, day: date) -> None:
    """Two documents of Jeanne Hamon's file, filed as the page files them: an administrative
    one, and a medical one (the health professionals of her care team)."""
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile

    for actor, category, title, name in (
        (coordinator, "administrative", "Notification d'attribution de l'APA",
         "notification-apa.pdf"),
        (doctor, "medical", "Compte rendu de consultation mémoire", "cr-consultation.pdf"),
    ):
        services.document_add(
            actor=actor, beneficiary=b, category=category, title=title,
            document_date=day - timedelta(days=10),
            uploaded_file=SimpleUploadedFile(name, _pdf(title), "application/pdf"),
            max_bytes=settings.DOCUMENT_MAX_BYTES)


def summary(ctx: DemoContext) -> str:
    """The progress line of this step."""
    files = Beneficiary.objects.filter(crt__in=ctx.crts.values())
    return f"Bénéficiaires… {files.count()} dossiers"
