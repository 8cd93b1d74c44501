"""Classification of columns (name + sampled values) into sensitive-data classifications.

Public entry points::

    from core.classification import ClassificationEngine, load_catalog

    engine = ClassificationEngine()                      # build once per process
    result = engine.classify_column("cust_email", ["a@b.com", ...])
    table = engine.classify_table({"email": [...], "amount": [...]}, rule_set=None)

Rule sets: ``validate_rule_set``, ``new_version``, ``template_rule_set``, ``builtin_templates``.
"""

from core.classification.catalog import (
    Catalog,
    Category,
    ClassificationDefinition,
    SensitivityLabel,
    load_catalog,
)
from core.classification.engine import ClassificationEngine, prepare_values
from core.classification.errors import CatalogError, ClassificationError, PatternRejected, RuleSetError
from core.classification.masking import mask_value
from core.classification.results import (
    ClassificationResult,
    ColumnResult,
    Evidence,
    ResultStatus,
    RuleSetRef,
    Signal,
    SignalEvidence,
    TableResult,
)
from core.classification.rule_sets import (
    CustomPattern,
    CustomRule,
    RuleSetDocument,
    Template,
    builtin_templates,
    compile_user_pattern,
    default_rule_set,
    new_version,
    template_rule_set,
    validate_rule_set,
)
from core.classification.validators import VALIDATORS

__all__ = [
    "VALIDATORS",
    "Catalog",
    "CatalogError",
    "Category",
    "ClassificationDefinition",
    "ClassificationEngine",
    "ClassificationError",
    "ClassificationResult",
    "ColumnResult",
    "CustomPattern",
    "CustomRule",
    "Evidence",
    "PatternRejected",
    "ResultStatus",
    "RuleSetDocument",
    "RuleSetError",
    "RuleSetRef",
    "SensitivityLabel",
    "Signal",
    "SignalEvidence",
    "TableResult",
    "Template",
    "builtin_templates",
    "compile_user_pattern",
    "default_rule_set",
    "load_catalog",
    "mask_value",
    "new_version",
    "prepare_values",
    "template_rule_set",
    "validate_rule_set",
]
