//! Building blocks shared by the pilot's and the scenario run's reports (the reports
//! themselves are `pilot::report` and `scenario::report`).

pub mod svg;
pub mod xml;
