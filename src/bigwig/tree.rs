//! The one walk over bigWig's on-disk trees, the chromosome B+ tree and the R-tree index.
//! Both store nodes as `[is_leaf u8][reserved u8][count u16][count items]`, and a branch
//! item ends with its child's u64 offset.
//!
//! A corrupt or hostile file can point nodes anywhere, also at overlapping bytes: a DAG
//! that makes one node parse as many. So the walk is bounded by the file: each node offset
//! is visited once, no deeper than [`MAX_DEPTH`], and the node bytes visited never add up
//! to more than `budget` (the file's size). Work and memory stay linear in the file.
//!
//! The walk goes level by level and reports every node of a level it lacks at once, so an
//! async driver needs one round of reads per level, not one per node.

use super::cursor::Cursor;
use super::{read, BwError};
use crate::source::Source;
use std::borrow::Cow;
use std::collections::HashSet;

/// Deeper than any real tree: 64 levels of even 2 items address 2^64 leaves.
pub(crate) const MAX_DEPTH: usize = 64;

/// The bytes of one tree: read through the source, or from a span read in one go.
pub(crate) struct TreeBytes<'s, S: ?Sized> {
    src: &'s S,
    what: &'static str,
    /// `(offset, bytes)` of a span read whole.
    span: Option<(u64, Vec<u8>)>,
}

impl<'s, S: Source + ?Sized> TreeBytes<'s, S> {
    /// Read `[at, at + len)` whole when `len` is known and at most `limit`; else node by node.
    pub fn new(
        src: &'s S,
        what: &'static str,
        at: u64,
        len: Option<u64>,
        limit: u64,
    ) -> Result<Self, BwError> {
        let span = match len {
            Some(len) if len > 0 && len <= limit => Some((at, read(src, at, len, what)?)),
            _ => None,
        };
        Ok(TreeBytes { src, what, span })
    }

    pub fn get(&self, offset: u64, len: u64) -> Result<Cow<'_, [u8]>, BwError> {
        if let Some((at, bytes)) = &self.span {
            let from = offset
                .checked_sub(*at)
                .and_then(|s| usize::try_from(s).ok());
            let to = from.and_then(|f| f.checked_add(usize::try_from(len).ok()?));
            if let Some(b) = from.zip(to).and_then(|(f, t)| bytes.get(f..t)) {
                return Ok(Cow::Borrowed(b));
            }
        }
        read(self.src, offset, len, self.what).map(Cow::Owned)
    }

    /// Bytes read in one go, if the tree was read whole.
    pub fn span_len(&self) -> Option<u64> {
        self.span.as_ref().map(|(_, b)| b.len() as u64)
    }
}

/// Item sizes of a tree's leaf and branch nodes.
pub(crate) struct Shape {
    pub leaf_item: u64,
    pub branch_item: u64,
}

/// How a walk goes: which branches it descends and what it reads for a missing node.
pub(crate) trait Visit {
    /// What each node carries from its parent's item (an R-tree child's bounds).
    type Ctx: Copy;
    /// The branch item `item` of a node reached with `ctx`: `Some(ctx)` to descend into
    /// its child, `None` to skip it, or an error.
    fn branch(&mut self, item: &[u8], ctx: Self::Ctx) -> Result<Option<Self::Ctx>, BwError>;
    /// A leaf item of a node reached with `ctx`.
    fn leaf(&mut self, item: &[u8], ctx: Self::Ctx) -> Result<(), BwError>;
    /// Bytes to ask for when the node at `offset`, `depth` levels down, is not held: its
    /// header and (a guess at) its items in one round. At least 4.
    fn read_len(&self, _depth: usize, _offset: u64) -> u64 {
        4
    }
}

/// Walk the tree rooted at `root` breadth-first, handing every leaf item below the
/// branches `visit` descends to it in tree order (left to right). Returns the node bytes
/// visited.
pub(crate) fn walk<S: Source + ?Sized, V: Visit>(
    bytes: &TreeBytes<'_, S>,
    root: u64,
    root_ctx: V::Ctx,
    big_endian: bool,
    shape: &Shape,
    budget: u64,
    visit: &mut V,
) -> Result<u64, BwError> {
    let what = bytes.what;
    let corrupt = |why: String| BwError::Invalid(format!("corrupt {what} ({why})"));
    let mut level = vec![(root, root_ctx)];
    let mut seen: HashSet<u64> = HashSet::from([root]);
    let mut visited = 0u64;
    for depth in 0.. {
        if level.is_empty() {
            break;
        }
        if depth >= MAX_DEPTH {
            return Err(corrupt(format!("deeper than {MAX_DEPTH} levels")));
        }
        // Every node of the level in one round: a missing node is asked for with a guess
        // at its size (`read_len`), a node whose header is held but not its items, for
        // its items.
        let mut missing = Vec::new();
        let mut items = Vec::with_capacity(level.len());
        for &(node, ctx) in &level {
            let (is_leaf, len) = match bytes.get(node, 4) {
                Ok(h) => {
                    let mut c = Cursor::new(&h, big_endian);
                    let is_leaf = c.u8()? != 0;
                    c.u8()?;
                    let count = c.u16()? as u64;
                    let item = if is_leaf {
                        shape.leaf_item
                    } else {
                        shape.branch_item
                    };
                    visited += 4 + count * item;
                    if visited > budget {
                        return Err(corrupt(format!(
                            "its nodes add up to more than the file's {budget} bytes: nodes overlap"
                        )));
                    }
                    (is_leaf, count * item)
                }
                Err(BwError::Missing(_)) => {
                    missing.push((node, visit.read_len(depth, node).max(4)));
                    continue;
                }
                Err(e) => return Err(e),
            };
            match bytes.get(node.saturating_add(4), len) {
                Ok(b) => items.push((ctx, is_leaf, b)),
                Err(BwError::Missing(m)) => missing.extend(m),
                Err(e) => return Err(e),
            }
        }
        if !missing.is_empty() {
            return Err(BwError::Missing(missing));
        }
        let mut next = Vec::new();
        for (ctx, is_leaf, b) in items {
            if is_leaf {
                for item in b.chunks_exact(shape.leaf_item as usize) {
                    visit.leaf(item, ctx)?;
                }
            } else {
                for item in b.chunks_exact(shape.branch_item as usize) {
                    let Some(child_ctx) = visit.branch(item, ctx)? else {
                        continue;
                    };
                    let mut c = Cursor::new(&item[item.len() - 8..], big_endian);
                    let child = c.u64()?;
                    if !seen.insert(child) {
                        return Err(corrupt(format!(
                            "the node at byte {child} is reached twice"
                        )));
                    }
                    next.push((child, child_ctx));
                }
            }
        }
        level = next;
    }
    Ok(visited)
}
