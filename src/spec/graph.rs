//! The `after`/`requires` graph: every id must exist, ids are unique, there is no cycle;
//! checks come out in dependency order, otherwise in the order they were written.

use super::Check;
use super::load::Parsed;
use crate::config::{SpecError, SpecText};
use std::collections::HashMap;

pub(super) fn validate_and_order(
    sources: &[SpecText],
    parsed: Vec<Parsed>,
) -> Result<Vec<Check>, SpecError> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, p) in parsed.iter().enumerate() {
        if let Some(&first) = index.get(p.check.id.as_str()) {
            return Err(sources[p.source].error_at(
                p.id_span.clone(),
                format!(
                    "duplicate check id `{}` (first defined at {})",
                    p.check.id, parsed[first].check.defined_at
                ),
            ));
        }
        index.insert(&p.check.id, i);
    }
    let mut deps: Vec<Vec<usize>> = Vec::with_capacity(parsed.len());
    for p in &parsed {
        let mut mine = Vec::new();
        for edge in &p.edges {
            match index.get(edge.get_ref().as_str()) {
                Some(&j) if j == deps.len() => {
                    return Err(sources[p.source].error_at(
                        edge.span(),
                        format!("check `{}` is ordered after itself", p.check.id),
                    ));
                }
                Some(&j) => mine.push(j),
                None => {
                    return Err(sources[p.source].error_at(
                        edge.span(),
                        format!(
                            "check `{}` refers to unknown check id `{}`",
                            p.check.id,
                            edge.get_ref()
                        ),
                    ));
                }
            }
        }
        deps.push(mine);
    }
    let order = topological(&deps).map_err(|cycle| {
        // A long cycle is named by its first few checks and its length.
        const SHOWN: usize = 8;
        let mut names: Vec<&str> = cycle
            .iter()
            .take(SHOWN)
            .map(|&i| parsed[i].check.id.as_str())
            .collect();
        if cycle.len() > SHOWN {
            names.push("…");
        }
        let first = &parsed[cycle[0]];
        let length = if cycle.len() > SHOWN {
            format!(" ({} checks)", cycle.len())
        } else {
            String::new()
        };
        sources[first.source].error_at(
            first.id_span.clone(),
            format!(
                "dependency cycle: {} -> {}{length} (each is ordered after the next)",
                names.join(" -> "),
                names[0]
            ),
        )
    })?;
    let mut slots: Vec<Option<Check>> = parsed.into_iter().map(|p| Some(p.check)).collect();
    Ok(order.into_iter().filter_map(|i| slots[i].take()).collect())
}

/// Orders nodes so that each comes after its deps, preferring the lowest index among the
/// ready ones (so an unconstrained spec keeps its written order). On a cycle, returns the
/// nodes of one cycle. Kahn's algorithm with a min-heap: O((n + e) log n), so a spec of
/// thousands of checks in one long chain loads as fast as a short one.
fn topological(deps: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let n = deps.len();
    let mut waiting_on: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            dependents[d].push(i);
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..n)
        .filter(|&i| waiting_on[i] == 0)
        .map(Reverse)
        .collect();
    let mut done = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(i)) = ready.pop() {
        done[i] = true;
        order.push(i);
        for &k in &dependents[i] {
            waiting_on[k] -= 1;
            if waiting_on[k] == 0 {
                ready.push(Reverse(k));
            }
        }
    }
    if order.len() < n {
        return Err(find_cycle(deps, &done));
    }
    Ok(order)
}

/// Walks undone deps from an undone node until a node repeats: that loop is a cycle.
/// Every undone node waits on another undone one, so the walk always finds one.
fn find_cycle(deps: &[Vec<usize>], done: &[bool]) -> Vec<usize> {
    let start = done.iter().position(|d| !d).unwrap_or(0);
    let mut path = vec![start];
    let mut at: Vec<Option<usize>> = vec![None; deps.len()];
    at[start] = Some(0);
    let mut node = start;
    loop {
        let Some(&next) = deps[node].iter().find(|&&d| !done[d]) else {
            return path;
        };
        if let Some(pos) = at[next] {
            return path.split_off(pos);
        }
        at[next] = Some(path.len());
        path.push(next);
        node = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_written_order_when_unconstrained() {
        assert_eq!(topological(&[vec![], vec![], vec![]]), Ok(vec![0, 1, 2]));
    }

    #[test]
    fn moves_a_check_after_its_deps() {
        assert_eq!(topological(&[vec![2], vec![], vec![]]), Ok(vec![1, 2, 0]));
    }

    #[test]
    fn finds_a_cycle() {
        let cycle = topological(&[vec![1], vec![2], vec![0], vec![]]).unwrap_err();
        let mut sorted = cycle.clone();
        crate::model::sort::sort(&mut sorted);
        assert_eq!(sorted, vec![0, 1, 2]);
    }
}
