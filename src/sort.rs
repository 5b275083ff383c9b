//! Sorts off the hot path, through one sort. Every element type sorted with `sort` or
//! `sort_unstable` compiles its own quicksort, small-sort and merge code (3-8 kB a type)
//! into the wasm module an export loads; these sort `(u64, u64)` pairs instead, the type
//! the read planner sorts anyway ([`crate::reads`]).

/// `items` sorted by `key`, stably.
pub fn by_u64_key<T>(items: Vec<T>, key: impl Fn(&T) -> u64) -> Vec<T> {
    let mut order: Vec<(u64, u64)> = items
        .iter()
        .enumerate()
        .map(|(i, t)| (key(t), i as u64))
        .collect();
    // Each pair holds its position, so none are equal: unstable sorts them stably.
    order.sort_unstable();
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order
        .iter()
        .filter_map(|&(_, i)| slots[i as usize].take())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn sorts_stably_by_key() {
        let v = vec![(3, 'a'), (1, 'b'), (3, 'c'), (0, 'd'), (1, 'e')];
        let mut want = v.clone();
        want.sort_by_key(|p| p.0);
        assert_eq!(super::by_u64_key(v, |p| p.0), want);
    }
}
