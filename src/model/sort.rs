//! One stable sort for the whole binary. std's sort is generic, so every element type
//! and every comparison closure sorted gets its own compiled copy of it: about 4.3 KiB
//! each, 37 KiB in the release binary for eight short lists. Here the sorting is done
//! once, on indices with a comparison behind `&dyn`, and only the small step that puts
//! the elements in that order is generic.
//!
//! The lists sorted this way are short (interfaces, check results, directory names of a
//! /sys or /etc folder); the image walk, which sorts every folder of a tree, keeps std's
//! sort of its own. clippy.toml makes every other use of std's sorts a lint error.

use std::cmp::Ordering;

/// Sorts `v` stably by `cmp`, like `v.sort_by(cmp)`.
pub fn sort_by<T>(v: &mut Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let order = sorted_indices(v.len(), &|a, b| cmp(&v[a], &v[b]));
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(order.into_iter().filter_map(|i| slots[i].take()));
}

/// Sorts `v` stably by the key `key` gives, like `v.sort_by_key(key)`.
pub fn sort_by_key<T, K: Ord>(v: &mut Vec<T>, key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` stably, like `v.sort()`.
pub fn sort<T: Ord>(v: &mut Vec<T>) {
    sort_by(v, T::cmp);
}

/// The indices `0..len` in the order `cmp` gives them: the one compiled copy of std's
/// stable sort.
#[allow(clippy::disallowed_methods)] // the one copy this module exists for
fn sorted_indices(len: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| cmp(a, b));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // compared with std's own
    fn sorts_like_std_and_keeps_equal_elements_in_order() {
        let words = [
            "pear", "fig", "apple", "kiwi", "fig", "date", "plum", "lime", "", "a",
        ];
        let mut ours: Vec<(usize, &str)> = words.iter().copied().enumerate().collect();
        let mut std_sorted = ours.clone();
        sort_by_key(&mut ours, |(_, w)| w.len());
        std_sorted.sort_by_key(|(_, w)| w.len());
        assert_eq!(ours, std_sorted);

        let mut strings: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        sort(&mut strings);
        let mut expected: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        expected.sort();
        assert_eq!(strings, expected);

        let mut one = vec![7];
        sort(&mut one);
        assert_eq!(one, vec![7]);
    }
}
