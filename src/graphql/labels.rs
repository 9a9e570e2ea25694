//! `labels`: zh-CN display labels of every enum, so clients never hard-code Chinese.
use crate::domain::labels::all_labels;
use async_graphql::{Object, SimpleObject};

#[derive(SimpleObject)]
pub struct EnumValueLabel {
    /// The enum value as the API sends it, e.g. `SUB_DISTRICT`.
    pub value: String,
    /// Its zh-CN display label, e.g. `街道/镇`.
    pub label: String,
}

#[derive(SimpleObject)]
pub struct EnumLabels {
    /// The GraphQL enum name, e.g. `RegionLevel`.
    pub name: String,
    pub values: Vec<EnumValueLabel>,
}

#[derive(Default)]
pub struct LabelQuery;

#[Object]
impl LabelQuery {
    /// Display labels (zh-CN) of every enum in the API. Needs no login.
    async fn labels(&self) -> Vec<EnumLabels> {
        all_labels()
            .into_iter()
            .map(|e| EnumLabels {
                name: e.name.to_owned(),
                values: e
                    .values
                    .into_iter()
                    .map(|(value, label)| EnumValueLabel {
                        value: value.to_owned(),
                        label: label.to_owned(),
                    })
                    .collect(),
            })
            .collect()
    }
}
