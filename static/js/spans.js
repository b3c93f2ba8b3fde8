// Character spans inside a sentence: words for keyboard marking, and the mouse selection as offsets.

const WORD = /[\p{L}\p{N}]+(?:['’.-][\p{L}\p{N}]+)*/gu;

// The words of `text` as [start, end] offsets.
export function wordsOf(text) {
  return Array.from(text.matchAll(WORD), (match) => [match.index, match.index + match[0].length]);
}

export function spanFromWords(words, first, last) {
  return [words[first][0], words[last][1]];
}

// The first and last word a span covers (at least partly).
export function wordsFromSpan(words, span) {
  let first = words.findIndex((word) => word[1] > span[0]);
  if (first < 0) first = words.length - 1;
  let last = first;
  while (last + 1 < words.length && words[last + 1][0] < span[1]) last += 1;
  return [first, last];
}

function offsetIn(container, node, offset) {
  const range = document.createRange();
  range.setStart(container, 0);
  range.setEnd(node, offset);
  return range.toString().length;
}

// The current mouse selection as [start, end] offsets into `sentence.text`, if it lies inside one of
// `containers` (elements whose text content is exactly the sentence text); trimmed of spaces.
export function selectionSpan(sentence, containers) {
  const selection = window.getSelection();
  if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
  const range = selection.getRangeAt(0);
  for (const container of containers) {
    if (!container || !container.contains(range.startContainer) || !container.contains(range.endContainer)) continue;
    let start = offsetIn(container, range.startContainer, range.startOffset);
    let end = offsetIn(container, range.endContainer, range.endOffset);
    while (start < end && /\s/.test(sentence.text[start])) start += 1;
    while (end > start && /\s/.test(sentence.text[end - 1])) end -= 1;
    if (end > start && end <= sentence.text.length) return [start, end];
  }
  return null;
}
