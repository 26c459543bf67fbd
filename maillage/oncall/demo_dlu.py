"""Demo DLUs: one for every beneficiary of the demo, reviewed by a nurse or the doctor of
the person's care team within the last year — except about one in seven, overdue, so that the
yearly review reminder of the coordinator's home page has something to show. The medical
sections get the decisions an emergency doctor looks for (limitation of care for some GIR 1–2,
« urgence pallia » sheets), each with its explicit answer. Most DLUs are complete; about one in
eleven is a draft never validated with the allergies still to be collected (« DLU incomplet »),
about one in thirteen had its treatments changed after the validation (« à revalider »).
Deterministic (own seed) and fast (a few bulk queries per CRT).

Written in bulk rather than through ``emergency_file_save``: the demo dates its reviews in
the past, which the service (review = now) rightly does not allow."""

from datetime import datetime, time, timedelta
from random import Random

from django.db.models import Prefetch
from django.utils import timezone

from maillage.beneficiaries.models import Beneficiary, CareTeamMember, MedicalRecord
from maillage.core.demo import DemoContext, agreed, update_rows
from maillage.core.models import Membership
from maillage.core.roles import Role

from .models import EmergencyFile

HOSPITALS = {
    "anjou_bleu": ["Centre hospitalier de Segré", "CHU d'Angers (suivi en cardiologie)",
                   "Centre hospitalier du Haut-Anjou, Château-Gontier"],
    "baugeois": ["Hôpital local de Baugé", "CHU d'Angers",
                 "Pôle santé Sarthe et Loir, Le Bailleul"],
}
KEPT_AT = ["Pochette rouge aimantée sur le réfrigérateur", "Tiroir du buffet de l'entrée",
           "Classeur bleu sur la table de nuit", "Boîte « urgence » sur le réfrigérateur"]
COMMUNICATION = [  # said of the person (``agreed``)
    "Malentendant{e} : appareils auditifs des deux côtés, à emporter. Parler face à {lui}.",
    "Désorientation le soir ; s'apaise quand on lui parle de son jardin. Risque de fugue.",
    "Comprend bien mais parle lentement (séquelles d'AVC) : laisser le temps de répondre.",
    "Porte des lunettes et un dentier (à emporter). Anxieu{se} loin de chez {lui}.",
    "",
    "",
]
PEOPLE_TO_WARN = [
    "", "", "Voisine, Mme Tessier (double des clés) : 02 61 91 07 31, en journée.",
    "Petit-fils, Thomas : 06 39 98 44 10, le soir après 18 h.",
]
Resuscitation = MedicalRecord.ResuscitationStatus
NOT_DECIDED = ("Discussion prévue avec la personne et sa fille lors de la prochaine visite du "
               "médecin traitant.")
TREATMENT_ADDED = " ; Furosémide 20 mg 1/j (ajouté par le cardiologue)"
LIMITATIONS = [
    "Pas de réanimation cardio-pulmonaire ni d'intubation (décision collégiale avec la "
    "personne et sa famille). Hospitalisation possible pour des soins de confort.",
    "Pas de transfert en réanimation ; traitements curatifs maintenus.",
]


def _important_info(medical: MedicalRecord) -> str:
    info = []
    if any(word in medical.treatments for word in ("Apixaban", "Kardégic")):
        info.append("Sous anticoagulant ou antiagrégant : risque hémorragique en cas de chute.")
    if "Parkinson" in medical.history:
        info.append("Maladie de Parkinson : respecter les horaires du traitement.")
    if "Insuffisance cardiaque" in medical.history:
        info.append("Insuffisance cardiaque : poids de référence 62 kg.")
    if "Diabète" in medical.history:
        info.append("Diabétique : contrôler la glycémie capillaire.")
    return " ".join(info)


def _gp_name(b: Beneficiary) -> str:
    gp = b.gp_members[0] if b.gp_members else None
    if gp is None:
        return ""
    if gp.professional_id:
        return f"Dr {gp.professional.first_name} {gp.professional.last_name}".strip()
    return f"Dr {gp.user.get_full_name()}"


def load(ctx: DemoContext) -> None:
    rng = Random(2021)  # the year of the HAS model; independent of the other demos' draws
    now = timezone.now()
    for key, crt in ctx.crts.items():
        reviewers = [m.user for m in Membership.objects.filter(
            crt=crt, is_active=True, roles__role__in=[Role.NURSE, Role.DOCTOR])
            .select_related("user").order_by("user__username").distinct()]
        if not reviewers:
            continue
        by_id = {u.pk: u for u in reviewers}
        people = list(
            Beneficiary.objects.filter(crt=crt).select_related("medical")
            .prefetch_related(
                Prefetch("care_team", to_attr="gp_members",
                         queryset=CareTeamMember.objects.filter(is_gp=True)
                         .select_related("professional", "user")),
                Prefetch("care_team", to_attr="staff_members",
                         queryset=CareTeamMember.objects.filter(user__isnull=False)
                         .order_by("pk")))
            .order_by("pk")
        )
        files, records = [], []
        for index, b in enumerate(people):
            overdue = index % 7 == 3
            draft = not overdue and index % 11 == 6  # allergies still to be collected
            changed = not overdue and not draft and index % 13 == 8  # treatment changed since
            days_ago = rng.randint(370, 460) if overdue else rng.randint(5, 330)
            reviewed_at = timezone.make_aware(datetime.combine(
                now.date() - timedelta(days=days_ago), time(rng.randint(9, 16), 30)))
            # A nurse or the doctor of the person's care team, as the DLU rules want.
            in_team = [by_id[m.user_id] for m in b.staff_members if m.user_id in by_id]
            reviewer = rng.choice(in_team or reviewers)
            medical = b.medical
            if b.current_gir in (1, 2) and rng.random() < 0.5:
                medical.resuscitation_status = Resuscitation.LIMITED
                medical.resuscitation_decision = rng.choice(LIMITATIONS)
                medical.has_palliative_sheet = rng.random() < 0.4
            elif index % 10 == 7:
                medical.resuscitation_status = Resuscitation.NOT_DECIDED
                medical.resuscitation_decision = NOT_DECIDED
            elif not medical.resuscitation_status:
                medical.resuscitation_status = Resuscitation.FULL
            if draft:
                medical.allergies_status, medical.allergies = "", ""
            if not medical.synthesis:
                medical.synthesis = (f"{medical.history}. Suivi mensuel par le médecin "
                                     "traitant ; accompagnement renforcé du CRT.")
            medical.updated_at = reviewed_at - timedelta(days=2)
            medical.allergies_treatments_changed_at = medical.updated_at
            if changed:
                medical.treatments += TREATMENT_ADDED
                medical.updated_at = reviewed_at + timedelta(days=max(1, days_ago // 2))
                medical.allergies_treatments_changed_at = medical.updated_at
            records.append(medical)
            gp = _gp_name(b)
            files.append(EmergencyFile(
                crt=crt, beneficiary=b, important_info=_important_info(medical),
                communication=agreed(rng.choice(COMMUNICATION), b.sex),
                preferred_hospital=rng.choice(HOSPITALS.get(key, HOSPITALS["anjou_bleu"])),
                people_to_warn=rng.choice(PEOPLE_TO_WARN),
                annexes=sorted(rng.sample(
                    ["prescriptions", "biology", "ecg", "letters", "cards", "identity"],
                    k=rng.randint(2, 5)) + (["directives"] if medical.advance_directives
                                            else [])),
                kept_at=rng.choice(KEPT_AT),
                medical_validated_by=gp, medical_validated_on=(
                    (reviewed_at - timedelta(days=rng.randint(2, 20))).date() if gp else None),
                reviewed_at=None if draft else reviewed_at,
                reviewed_by=None if draft else reviewer,
                next_review_on=None if draft else timezone.localdate(reviewed_at) + timedelta(
                    days=EmergencyFile.REVIEW_EVERY_DAYS),
                created_by=reviewer, updated_by=reviewer,
            ))
        update_rows(MedicalRecord, records, [
            "resuscitation_status", "resuscitation_decision", "has_palliative_sheet",
            "synthesis", "allergies_status", "allergies", "treatments",
            "allergies_treatments_changed_at", "updated_at"])
        EmergencyFile.objects.bulk_create(files, batch_size=500)
