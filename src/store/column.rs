//! Enum columns as domain enums. Each is stored as its code (`"REPORTED"`); a row leaves the
//! store typed, and a code the domain does not know fails the query (an `INTERNAL` error,
//! logged) instead of turning into some default.
use crate::domain::committee::CommitteeActivityKind;
use crate::domain::event::{
    EventAction, EventCategory, EventPriority, EventSource, EventState, PointsReason, ReporterKind,
    Resolution,
};
use crate::domain::notification::NotificationKind;
use crate::domain::people::{GridMemberKind, GridRole, MemberUnitKind, Occupation};
use crate::domain::region::{GridKind, RegionLevel};
use crate::domain::resident::{Gender, ResidenceType};
use crate::domain::role::Role;
use crate::domain::service_item::{
    ServiceCategory, ServiceClaimState, ServiceDirection, ServiceItemKind, ServiceItemState,
    ServiceStepAction,
};
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, StringLen, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryGetError, TryGetable, Value};

/// A domain enum stored as its code.
pub trait Coded: Sized {
    /// The enum's name, for the error a code it does not know turns into.
    const NAME: &'static str;
    fn from_code(code: &str) -> Option<Self>;
}

/// The error a stored code the domain does not know turns into.
pub fn unknown_code(type_name: &str, code: &str) -> DbErr {
    DbErr::Type(format!("unknown {type_name} code {code:?} stored"))
}

/// A stored code as its domain enum; a code the domain does not know fails the row (logged).
pub fn from_stored<T: Coded>(code: &str) -> Result<T, DbErr> {
    T::from_code(code).ok_or_else(|| {
        let err = unknown_code(T::NAME, code);
        tracing::error!(error = %err, "corrupt row");
        err
    })
}

macro_rules! stored_as_code {
    ($($ty:ident),+ $(,)?) => {$(
        impl Coded for $ty {
            const NAME: &'static str = stringify!($ty);
            fn from_code(code: &str) -> Option<Self> {
                $ty::parse(code)
            }
        }

        impl From<$ty> for Value {
            fn from(v: $ty) -> Self {
                Value::String(Some(v.as_str().to_owned()))
            }
        }

        impl TryGetable for $ty {
            fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
                let code = String::try_get_by(res, idx)?;
                $ty::parse(&code).ok_or_else(|| {
                    let err = unknown_code(stringify!($ty), &code);
                    tracing::error!(error = %err, "corrupt row");
                    TryGetError::DbErr(err)
                })
            }
        }

        impl ValueType for $ty {
            fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
                let code = <String as ValueType>::try_from(v)?;
                $ty::parse(&code).ok_or(ValueTypeErr)
            }

            fn type_name() -> String {
                stringify!($ty).to_owned()
            }

            fn array_type() -> ArrayType {
                ArrayType::String
            }

            fn column_type() -> ColumnType {
                ColumnType::String(StringLen::None)
            }
        }

        impl Nullable for $ty {
            fn null() -> Value {
                Value::String(None)
            }
        }

        impl sea_orm::IntoActiveValue<$ty> for $ty {
            fn into_active_value(self) -> sea_orm::ActiveValue<$ty> {
                sea_orm::ActiveValue::Set(self)
            }
        }
    )+};
}

stored_as_code!(
    NotificationKind,
    Role,
    RegionLevel,
    GridKind,
    EventCategory,
    EventSource,
    EventPriority,
    EventState,
    ReporterKind,
    Resolution,
    EventAction,
    PointsReason,
    GridMemberKind,
    Occupation,
    GridRole,
    MemberUnitKind,
    Gender,
    ResidenceType,
    ServiceDirection,
    ServiceItemKind,
    ServiceCategory,
    ServiceItemState,
    ServiceClaimState,
    ServiceStepAction,
    CommitteeActivityKind,
);
