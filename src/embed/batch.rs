//! Splitting token sequences into model-sized windows and grouping windows into padded batches.

use crate::model::TokenBatch;

use super::LongText;

/// One sequence the encoder sees: a whole text, or one window of a long one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Index of the text this window belongs to.
    pub text: usize,
    pub ids: Vec<u32>,
}

/// Cuts an encoded text (special tokens included) into windows of at most `max_len` tokens.
///
/// Every window keeps the template's leading and trailing special tokens; in window mode every
/// window after the first also repeats the `prefix_len` prompt tokens, so each one is embedded
/// as the model expects a passage or query to look.
pub fn split_windows(
    text: usize,
    ids: &[u32],
    special: &[u32],
    prefix_len: usize,
    max_len: usize,
    mode: LongText,
) -> Vec<Window> {
    if ids.len() <= max_len {
        return vec![Window {
            text,
            ids: ids.to_vec(),
        }];
    }
    let lead = special.iter().take_while(|&&s| s == 1).count();
    let trail = special.iter().rev().take_while(|&&s| s == 1).count();
    let (head, body, tail) = (
        &ids[..lead],
        &ids[lead..ids.len() - trail],
        &ids[ids.len() - trail..],
    );
    let room = max_len.saturating_sub(lead + trail);
    let wrap = |parts: &[&[u32]]| {
        let mut v = head.to_vec();
        parts.iter().for_each(|p| v.extend_from_slice(p));
        v.extend_from_slice(tail);
        Window { text, ids: v }
    };
    let first = wrap(&[&body[..room.min(body.len())]]);
    let LongText::Window { overlap } = mode else {
        return vec![first];
    };
    let prefix = &body[..prefix_len.min(body.len())];
    let content = &body[prefix.len()..];
    let size = room.saturating_sub(prefix.len()).max(1);
    let step = size.saturating_sub(overlap).max(1);
    let mut windows = vec![first];
    // The first window already covers content[..size]; continue from there.
    let mut start = step;
    while start + overlap < content.len() && start < content.len() {
        let end = (start + size).min(content.len());
        windows.push(wrap(&[prefix, &content[start..end]]));
        if end == content.len() {
            break;
        }
        start += step;
    }
    windows
}

/// Groups window indices into batches: longest first, each batch at most `max_batch` rows and
/// `token_budget` padded tokens (a single longer window still gets a batch of its own).
pub fn plan_batches(windows: &[Window], max_batch: usize, token_budget: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..windows.len()).collect();
    // Longest first; ties by position so the plan is deterministic.
    order.sort_by_key(|&i| (std::cmp::Reverse(windows[i].ids.len()), i));
    let mut batches: Vec<Vec<usize>> = Vec::new();
    for i in order {
        match batches.last_mut() {
            Some(b)
                if b.len() < max_batch.max(1)
                    && (b.len() + 1) * windows[b[0]].ids.len() <= token_budget =>
            {
                b.push(i)
            }
            _ => batches.push(vec![i]),
        }
    }
    batches
}

/// Builds the padded id and mask matrices for one planned batch.
pub fn pad(windows: &[Window], plan: &[usize], pad_id: u32) -> TokenBatch {
    let len = plan
        .iter()
        .map(|&i| windows[i].ids.len())
        .max()
        .unwrap_or(0);
    let mut ids = Vec::with_capacity(plan.len() * len);
    let mut mask = Vec::with_capacity(plan.len() * len);
    for &i in plan {
        let w = &windows[i].ids;
        ids.extend_from_slice(w);
        ids.extend(std::iter::repeat_n(pad_id, len - w.len()));
        mask.extend(std::iter::repeat_n(1, w.len()));
        mask.extend(std::iter::repeat_n(0, len - w.len()));
    }
    TokenBatch {
        ids,
        mask,
        batch: plan.len(),
        len,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [CLS]=101 p=7 (prompt) 1..n [SEP]=102
    fn encoded(n: u32) -> (Vec<u32>, Vec<u32>) {
        let mut ids = vec![101, 7];
        ids.extend(1..=n);
        ids.push(102);
        let mut special = vec![0; ids.len()];
        special[0] = 1;
        *special.last_mut().unwrap() = 1;
        (ids, special)
    }

    #[test]
    fn short_text_is_one_window_unchanged() {
        let (ids, sp) = encoded(5);
        let w = split_windows(3, &ids, &sp, 1, 16, LongText::Window { overlap: 2 });
        assert_eq!(w, vec![Window { text: 3, ids }]);
    }

    #[test]
    fn truncate_keeps_head_and_closing_special() {
        let (ids, sp) = encoded(40);
        let w = split_windows(0, &ids, &sp, 1, 10, LongText::Truncate);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].ids, vec![101, 7, 1, 2, 3, 4, 5, 6, 7, 102]);
    }

    #[test]
    fn windows_cover_every_token_with_prompt_and_specials() {
        let (ids, sp) = encoded(40);
        let w = split_windows(0, &ids, &sp, 1, 10, LongText::Window { overlap: 2 });
        let mut seen = std::collections::BTreeSet::new();
        for win in &w {
            assert!(win.ids.len() <= 10);
            assert_eq!(&win.ids[..2], &[101, 7], "prompt repeated in every window");
            assert_eq!(*win.ids.last().unwrap(), 102);
            seen.extend(win.ids[2..win.ids.len() - 1].iter().copied());
        }
        assert_eq!(seen, (1..=40).collect());
        // Consecutive windows overlap by the requested number of tokens.
        assert_eq!(&w[0].ids[6..9], &[5, 6, 7]);
        assert_eq!(&w[1].ids[2..4], &[6, 7]);
    }

    #[test]
    fn batches_respect_budget_and_are_sorted_longest_first() {
        let windows: Vec<Window> = [3usize, 9, 5, 9, 1]
            .iter()
            .enumerate()
            .map(|(i, &n)| Window {
                text: i,
                ids: vec![1; n],
            })
            .collect();
        let plan = plan_batches(&windows, 8, 18);
        assert_eq!(plan, vec![vec![1, 3], vec![2, 0, 4]]);
        let b = pad(&windows, &plan[1], 0);
        assert_eq!((b.batch, b.len), (3, 5));
        assert_eq!(&b.mask[5..10], &[1, 1, 1, 0, 0]);
    }
}
