//! Building blocks shared by the pilot's and the scenario run's reports (the reports
//! themselves are `pilot::report` and `scenario::report`).

pub mod case_list;
pub mod mask;
pub mod svg;
pub mod wirelog;
pub mod xml;
