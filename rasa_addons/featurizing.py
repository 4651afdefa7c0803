"""What every featurizer here shares: Rasa calls these two, each message's text is featurized."""

from __future__ import annotations

from abc import ABC, abstractmethod

from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


class FeaturizesText(ABC):
    """Rasa's message-featurizer entry points, over one `_featurize(messages)` method."""

    @abstractmethod
    def _featurize(self, messages: list[Message]) -> None:
        """Add this component's features to each message that has text."""

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data
