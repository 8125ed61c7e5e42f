"""Building blocks shared by the dashboards: the datasource, queries, panels and thresholds.

Every panel reads the dashboard's ``datasource`` variable, and every query gets its ``refId``
here (A, B, …) so that the generated JSON is stable and the live test can name a query.
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import bargauge, prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders.common import (
    GraphThresholdsStyleConfig,
    ReduceDataOptions,
    StackingConfig,
    VizLegendOptions,
)
from grafana_foundation_sdk.builders.dashboard import DatasourceVariable, ThresholdsConfig
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models import dashboard
from grafana_foundation_sdk.models.common import (
    BarGaugeDisplayMode,
    BigValueColorMode,
    BigValueGraphMode,
    BigValueTextMode,
    DataSourceRef,
    GraphThresholdsStyleMode,
    LegendDisplayMode,
    LegendPlacement,
    StackingMode,
    VizOrientation,
)
from grafana_foundation_sdk.models.dashboard import (
    DataTransformerConfig,
    DynamicConfigValue,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
    VariableOption,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

# The datasource provisioned by ops/grafana/provisioning/datasources/prometheus.yml.
DATASOURCE_UID = "valeo-prometheus"
DATASOURCE_NAME = "Valeo Prometheus"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")

GREEN, ORANGE, RED = "green", "orange", "red"

PanelBuilder = Builder[dashboard.Panel]


def datasource_variable() -> DatasourceVariable:
    """The ``datasource`` variable every panel reads; preset to the provisioned Prometheus."""
    return (
        DatasourceVariable("datasource")
        .label("Data source")
        .type("prometheus")
        .current(VariableOption(selected=True, text=DATASOURCE_NAME, value=DATASOURCE_UID))
    )


def query(expr: str, legend: str = "", *, instant: bool = False) -> prometheus.Dataquery:
    """A PromQL query; ``instant`` for a value now, otherwise a range (a series over time)."""
    built = prometheus.Dataquery().expr(expr).datasource(DATASOURCE)
    built = built.instant() if instant else built.range()
    return built.legend_format(legend) if legend else built


def table_query(expr: str) -> prometheus.Dataquery:
    """An instant query formatted as a table: one row per series, one column per label."""
    return query(expr, instant=True).format(PromQueryFormat.TABLE)


def thresholds(base: str, *steps: tuple[float, str]) -> ThresholdsConfig:
    """Absolute thresholds: ``base`` colour below the first step, then each step's colour."""
    return (
        ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(None, base), *(Threshold(value, color) for value, color in steps)])
    )


def gate(limit: float, *, higher_is_better: bool = False) -> ThresholdsConfig:
    """Green on the good side of a gate's ``limit``, red on the other."""
    if higher_is_better:
        return thresholds(RED, (limit, GREEN))
    return thresholds(GREEN, (limit, RED))


def value_text(*pairs: tuple[str, str, str]) -> ValueMap:
    """Value mappings ``(value, text, colour)``, e.g. 1 → pass (green)."""
    return ValueMap(
        {
            value: ValueMappingResult(text=text, color=color, index=index)
            for index, (value, text, color) in enumerate(pairs)
        }
    )


PASS_FAIL = value_text(("1", "pass", GREEN), ("0", "fail", RED))


def hide_columns(*names: str) -> DataTransformerConfig:
    """The ``organize`` transformation hiding table columns (``Time``, ``Value``)."""
    return DataTransformerConfig(
        id_val="organize", options={"excludeByName": dict.fromkeys(names, True)}
    )


def fixed_color(color: str) -> DynamicConfigValue:
    return DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": color})


def threshold_override(config: ThresholdsConfig, *, dashed: bool) -> list[DynamicConfigValue]:
    """Field overrides giving a series its own thresholds (on a graph: a ``dashed`` line)."""
    properties = [DynamicConfigValue(id_val="thresholds", value=config.build())]
    if dashed:
        style = {"mode": GraphThresholdsStyleMode.DASHED.value}
        properties.append(DynamicConfigValue(id_val="custom.thresholdsStyle", value=style))
    return properties


def _ref_id(index: int) -> str:
    return chr(ord("A") + index)


def timeseries_panel(
    title: str,
    description: str,
    queries: Sequence[prometheus.Dataquery],
    *,
    unit: str,
    width: int = 12,
    height: int = 8,
    limits: ThresholdsConfig | None = None,
    stacked: bool = False,
) -> timeseries.Panel:
    """A graph over time; ``limits`` are drawn as dashed lines (the gates, the SLOs)."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(height)
        .fill_opacity(10)
        .line_width(1)
        .legend(
            VizLegendOptions()
            .display_mode(LegendDisplayMode.LIST)
            .placement(LegendPlacement.BOTTOM)
            .show_legend(True)
        )
    )
    for index, target in enumerate(queries):
        panel = panel.with_target(target.ref_id(_ref_id(index)))
    if limits is not None:
        panel = panel.thresholds(limits).thresholds_style(
            GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.DASHED)
        )
    if stacked:
        panel = panel.stacking(StackingConfig().mode(StackingMode.NORMAL))
    return panel


def stat_panel(
    title: str,
    description: str,
    target: prometheus.Dataquery,
    *,
    unit: str,
    width: int = 4,
    height: int = 4,
    limits: ThresholdsConfig | None = None,
    sparkline: bool = False,
    text_mode: BigValueTextMode = BigValueTextMode.AUTO,
) -> stat.Panel:
    """One big number (per series); coloured by ``limits`` when given."""
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(height)
        .with_target(target.ref_id(_ref_id(0)))
        .thresholds(limits if limits is not None else thresholds(GREEN))
        .color_mode(BigValueColorMode.VALUE if limits is not None else BigValueColorMode.NONE)
        .graph_mode(BigValueGraphMode.AREA if sparkline else BigValueGraphMode.NONE)
        .text_mode(text_mode)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )


def table_panel(
    title: str,
    description: str,
    target: prometheus.Dataquery,
    *,
    hidden: Sequence[str] = ("Time", "Value"),
    width: int = 8,
    height: int = 4,
) -> table.Panel:
    """A table of the series' labels (build, commit, gates), columns ``hidden`` left out."""
    return (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .span(width)
        .height(height)
        .with_target(target.ref_id(_ref_id(0)))
        .with_transformation(hide_columns(*hidden))
    )


def bargauge_panel(
    title: str,
    description: str,
    target: prometheus.Dataquery,
    *,
    unit: str,
    width: int = 12,
    height: int = 8,
    limits: ThresholdsConfig | None = None,
) -> bargauge.Panel:
    """Horizontal bars, one per series, of its value now."""
    return (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(height)
        .with_target(target.ref_id(_ref_id(0)))
        .thresholds(limits if limits is not None else thresholds(GREEN))
        .display_mode(BarGaugeDisplayMode.GRADIENT)
        .orientation(VizOrientation.HORIZONTAL)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
