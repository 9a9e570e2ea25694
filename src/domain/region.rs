//! The region tree: CITY? > SUB_DISTRICT > COMMUNITY > GRID > COMPOUND.
//!
//! Every region carries a materialised path (`/id/id/…/`). A caller's scope is a set of paths; a row
//! is in scope when its region's path starts with one of them. Prefix matching is written as a
//! byte range so that one ordinary index serves it on PostgreSQL and SQLite alike.
use crate::error::{AppError, AppResult};
use serde_json::Value;
use uuid::Uuid;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
        #[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// A level of the region tree.
    RegionLevel {
        City => "CITY",
        SubDistrict => "SUB_DISTRICT",
        Community => "COMMUNITY",
        Grid => "GRID",
        Compound => "COMPOUND",
    }
);

string_enum!(
    /// What kind of area a grid covers.
    GridKind {
        Residential => "RESIDENTIAL",
        Rural => "RURAL",
        IndustrialPark => "INDUSTRIAL_PARK",
    }
);

impl RegionLevel {
    /// May a region of this level sit directly under `parent` (`None`: at the top)?
    pub fn may_nest_under(self, parent: Option<RegionLevel>) -> bool {
        use RegionLevel::*;
        matches!(
            (parent, self),
            (None, City)
                | (None, SubDistrict)
                | (Some(City), SubDistrict)
                | (Some(SubDistrict), Community)
                | (Some(Community), Grid)
                | (Some(Grid), Compound)
        )
    }
}

/// Path of a region whose parent has `parent_path` (`None` at the top).
pub fn child_path(parent_path: Option<&str>, id: Uuid) -> String {
    format!("{}{}/", parent_path.unwrap_or("/"), id.simple())
}

/// The half-open byte range `[path, upper)` that holds `path` and everything below it.
/// Paths end with `/` (0x2F); replacing it by `0` (0x30) gives the least string above them all.
pub fn subtree_range(path: &str) -> (String, String) {
    let mut upper = path.trim_end_matches('/').to_owned();
    upper.push('0');
    (path.to_owned(), upper)
}

/// The ids on a path, from the root down to the region itself (a path is its regions' ids).
pub fn ids_on_path(path: &str) -> Vec<Uuid> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .filter_map(|s| Uuid::try_parse(s).ok())
        .collect()
}

/// Is `path` the same as or below `ancestor`?
pub fn is_within(path: &str, ancestor: &str) -> bool {
    path.starts_with(ancestor)
}

/// A region name: trimmed, 1 to 64 characters.
pub fn parse_region_name(raw: &str) -> AppResult<String> {
    let name = raw.trim();
    let len = name.chars().count();
    if len == 0 || len > 64 {
        return Err(AppError::bad_input("name", "名称长度须为 1 到 64 个字符"));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::bad_input("name", "名称含有不可见字符"));
    }
    Ok(name.to_owned())
}

/// An optional administrative code: letters, digits and dashes, at most 32.
pub fn parse_region_code(raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(code) = raw.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    if code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(AppError::bad_input(
            "code",
            "编码只能包含字母、数字和连字符，最长 32 位",
        ));
    }
    Ok(Some(code.to_owned()))
}

/// A validated grid boundary: a GeoJSON Polygon or MultiPolygon in WGS-84 lng/lat, and its box.
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    pub geojson: String,
    pub min_lng: f64,
    pub min_lat: f64,
    pub max_lng: f64,
    pub max_lat: f64,
}

const MAX_BOUNDARY_POINTS: usize = 10_000;

impl Boundary {
    pub fn parse(value: &Value) -> AppResult<Self> {
        let bad = |m: &str| AppError::bad_input("boundary", m.to_owned());
        let geometry = match value.get("type").and_then(Value::as_str) {
            // A Feature wrapping a geometry is accepted too: map tools export those.
            Some("Feature") => value
                .get("geometry")
                .ok_or_else(|| bad("Feature 缺少 geometry"))?,
            _ => value,
        };
        let coords = geometry
            .get("coordinates")
            .ok_or_else(|| bad("缺少 coordinates"))?;
        let polygons: Vec<&Value> = match geometry.get("type").and_then(Value::as_str) {
            Some("Polygon") => vec![coords],
            Some("MultiPolygon") => coords
                .as_array()
                .ok_or_else(|| bad("MultiPolygon 的 coordinates 须为数组"))?
                .iter()
                .collect(),
            _ => return Err(bad("边界须为 GeoJSON Polygon 或 MultiPolygon")),
        };
        if polygons.is_empty() {
            return Err(bad("边界不能为空"));
        }
        let (mut min_lng, mut min_lat) = (f64::MAX, f64::MAX);
        let (mut max_lng, mut max_lat) = (f64::MIN, f64::MIN);
        let mut points = 0usize;
        for polygon in polygons {
            let rings = polygon
                .as_array()
                .filter(|r| !r.is_empty())
                .ok_or_else(|| bad("多边形须至少有一个环"))?;
            for ring in rings {
                let positions = ring.as_array().ok_or_else(|| bad("环须为坐标数组"))?;
                if positions.len() < 4 {
                    return Err(bad("每个环至少需要 4 个坐标点（首尾相同）"));
                }
                let mut parsed = Vec::with_capacity(positions.len());
                for position in positions {
                    let pair = position
                        .as_array()
                        .filter(|p| p.len() == 2 || p.len() == 3)
                        .ok_or_else(|| bad("坐标须为 [经度, 纬度]"))?;
                    let lng = pair[0].as_f64().ok_or_else(|| bad("经度须为数字"))?;
                    let lat = pair[1].as_f64().ok_or_else(|| bad("纬度须为数字"))?;
                    if !(-180.0..=180.0).contains(&lng) || !(-90.0..=90.0).contains(&lat) {
                        return Err(bad("坐标超出经纬度范围"));
                    }
                    min_lng = min_lng.min(lng);
                    min_lat = min_lat.min(lat);
                    max_lng = max_lng.max(lng);
                    max_lat = max_lat.max(lat);
                    parsed.push((lng, lat));
                }
                if parsed.first() != parsed.last() {
                    return Err(bad("环须闭合（首尾坐标相同）"));
                }
                points += parsed.len();
                if points > MAX_BOUNDARY_POINTS {
                    return Err(bad("边界坐标点过多"));
                }
            }
        }
        Ok(Boundary {
            geojson: geometry.to_string(),
            min_lng,
            min_lat,
            max_lng,
            max_lat,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_names_its_regions_from_the_root_down() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let path = child_path(Some(&child_path(None, a)), b);
        assert_eq!(ids_on_path(&path), vec![a, b]);
        assert!(ids_on_path("/").is_empty());
    }
    use serde_json::json;

    #[test]
    fn nesting_follows_the_tree() {
        use RegionLevel::*;
        assert!(SubDistrict.may_nest_under(None));
        assert!(SubDistrict.may_nest_under(Some(City)));
        assert!(Community.may_nest_under(Some(SubDistrict)));
        assert!(Grid.may_nest_under(Some(Community)));
        assert!(Compound.may_nest_under(Some(Grid)));
        assert!(!Grid.may_nest_under(Some(SubDistrict)));
        assert!(!Community.may_nest_under(None));
        assert!(!City.may_nest_under(Some(City)));
        assert!(!Compound.may_nest_under(Some(Compound)));
    }

    #[test]
    fn subtree_range_holds_descendants_only() {
        let a = child_path(None, Uuid::now_v7());
        let b = child_path(Some(&a), Uuid::now_v7());
        let sibling = child_path(None, Uuid::now_v7());
        let (lo, hi) = subtree_range(&a);
        let inside = |p: &str| p >= lo.as_str() && p < hi.as_str();
        assert!(inside(&a));
        assert!(inside(&b));
        assert!(!inside(&sibling));
        assert!(is_within(&b, &a));
        assert!(!is_within(&a, &b));
    }

    #[test]
    fn boundary_validation() {
        let square = json!({"type":"Polygon","coordinates":[[[112.9,22.7],[113.0,22.7],[113.0,22.8],[112.9,22.7]]]});
        let b = Boundary::parse(&square).unwrap();
        assert_eq!((b.min_lng, b.max_lat), (112.9, 22.8));
        let open = json!({"type":"Polygon","coordinates":[[[112.9,22.7],[113.0,22.7],[113.0,22.8],[112.95,22.7]]]});
        assert!(Boundary::parse(&open).is_err());
        let out = json!({"type":"Polygon","coordinates":[[[200.0,22.7],[113.0,22.7],[113.0,22.8],[200.0,22.7]]]});
        assert!(Boundary::parse(&out).is_err());
        assert!(Boundary::parse(&json!({"type":"Point","coordinates":[1,2]})).is_err());
        assert!(Boundary::parse(&json!("x")).is_err());
    }

    #[test]
    fn names_and_codes() {
        assert_eq!(parse_region_name("  新华社区 ").unwrap(), "新华社区");
        assert!(parse_region_name("   ").is_err());
        assert!(parse_region_name(&"长".repeat(65)).is_err());
        assert_eq!(parse_region_code(Some("")).unwrap(), None);
        assert!(parse_region_code(Some("a b")).is_err());
    }
}
