"""Demo partner agreements: for CRT Anjou Bleu, agreements of every kind of object and state,
one ending within 30 days, one within 90 (tacitly renewed), and the home-care service that
intervenes daily without its « home care » agreement (a service contract only); for CRT
Baugeois Vallée, its SSIAD and DAC agreements. Written through the services, dated from the
demo's history."""

from datetime import timedelta

from django.contrib.auth import get_user_model

from maillage.core.demo import DemoContext

from . import services
from .models import Agreement, Organization

K = Organization.Kind
S = Agreement.Subject
ST = Agreement.Status

# (title, subject, partner kinds, start (days from today), end (days from today or None),
#  tacit renewal months or None, status, financial terms)
ANJOU_BLEU = [
    ("Intervention quotidienne du SSIAD auprès des bénéficiaires du volet 2", S.HOME_CARE,
     [K.SSIAD], -400, 330, 12, ST.SIGNED,
     "Soins infirmiers financés par la dotation du SSIAD ; temps de coordination valorisé "
     "à 15 € par bénéficiaire et par mois, reversé trimestriellement."),
    ("Partenariat avec le DAC 49 — antenne du Segréen", S.DAC, [K.DAC], -700, 24, None,
     ST.SIGNED, "Sans contrepartie financière."),
    ("Infirmière de nuit mutualisée avec l'EHPAD du Val d'Erdre", S.NIGHT_NURSE, [K.EHPAD],
     -420, 70, 12, ST.SIGNED,
     "Coût partagé au prorata des nuits d'astreinte : 50 % à la charge du CRT."),
    ("Places d'hébergement temporaire (HT et HTSH)", S.TEMPORARY_PLACES,
     [K.EHPAD, K.HOSPITAL], -380, 500, None, ST.SIGNED,
     "Prix de journée HT : 62 € ; HTSH : reste à charge de 22 € par jour."),
    ("Portage de repas pour les bénéficiaires du volet 2", S.SERVICE_CONTRACT, [K.SAD],
     -300, 400, None, ST.SIGNED, "9,50 € par repas livré, facturé à la personne."),
    ("Téléconsultations accompagnées avec l'hôpital local", S.TELEHEALTH, [K.HOSPITAL],
     30, 395, None, ST.DRAFT, "Matériel de télémédecine prêté par le CRT."),
    ("Formation « prévention des chutes » des aides à domicile", S.TRAINING, [K.CPTS, K.SAD],
     -400, -40, None, ST.EXPIRED, "Deux sessions financées par le volet 1 (1 200 €)."),
    ("Transport solidaire vers les ateliers du volet 1", S.TRANSPORT, [K.CCAS], -380, 350,
     None, ST.TERMINATED, "0,40 € par kilomètre, remboursé au CCAS."),
]
BAUGEOIS = [
    ("Intervention quotidienne du SSIAD Baugeois Vallée", S.HOME_CARE, [K.SSIAD], -400, 330,
     12, ST.SIGNED, "Temps de coordination valorisé à 15 € par bénéficiaire et par mois."),
    ("Partenariat avec le DAC 49 — antenne du Baugeois", S.DAC, [K.DAC], -400, 330, 12,
     ST.SIGNED, "Sans contrepartie financière."),
    ("EHPAD partenaire pour le CRT porté par un service à domicile", S.PARTNER_EHPAD,
     [K.EHPAD], -400, 700, None, ST.SIGNED,
     "Mise à disposition du médecin coordonnateur (0,2 ETP) refacturée au CRT."),
]


def load(ctx: DemoContext) -> None:
    users = get_user_model().objects
    for key, rows, username in (("anjou_bleu", ANJOU_BLEU, "coordinator"),
                                ("baugeois", BAUGEOIS, "coordinator-baugeois")):
        crt, actor = ctx.crts[key], users.get(username=username)
        by_kind = {o.kind: o for o in Organization.objects.filter(crt=crt)}
        for title, subject, kinds, start, end, months, status, terms in rows:
            starts_on = ctx.today + timedelta(days=start)
            signed_on = None if status == ST.DRAFT else starts_on - timedelta(days=15)
            fields = {
                "title": title, "subject": subject, "starts_on": starts_on,
                "ends_on": ctx.today + timedelta(days=end) if end is not None else None,
                "tacit_renewal": months is not None, "renewal_months": months,
                "financial_terms": terms, "status": status, "signed_on": signed_on,
                "terminated_on": ctx.today - timedelta(days=60)
                if status == ST.TERMINATED else None,
                "notes": "",
            }
            with ctx.at(min(signed_on or ctx.today, ctx.today)):
                if status in {ST.EXPIRED, ST.TERMINATED}:
                    ctx.clock(None)  # the end already reached: written as of today
                services.agreement_create(actor=actor, crt=crt,
                                          organizations=[by_kind[k] for k in kinds], **fields)
