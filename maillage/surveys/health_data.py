"""Comments of a satisfaction questionnaire are free text: people write what they want, often
about their health or their situation. Shown only to the roles holding ``survey.comments``,
each read audited."""

from maillage.core.health_data import Registered

HEALTH_DATA = [Registered("surveys.Answer", ("text",))]
