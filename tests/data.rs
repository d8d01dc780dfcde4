use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use convgrad::data::{Corpus, DataError, Dataset, Vocab, BOUNDARY, EMBEDDED_SOURCE};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// File under the system temp directory that is removed when dropped.
struct TempFile {
    path: PathBuf,
}

impl TempFile {
    fn with_bytes(label: &str, bytes: &[u8]) -> TempFile {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let serial = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("convgrad-data-test-{}-{serial}-{label}.txt", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, bytes).expect("failed to write temp corpus file");
        TempFile { path }
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn path_text(&self) -> String {
        self.path.display().to_string()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Builds `count` distinct lowercase words ("a", "b", …, "z", "ab", …).
fn distinct_words(count: usize) -> Vec<String> {
    (0..count)
        .map(|mut n| {
            let mut word = String::new();
            loop {
                word.push((b'a' + (n % 26) as u8) as char);
                n /= 26;
                if n == 0 {
                    break;
                }
            }
            word
        })
        .collect()
}

fn corpus_of(words: &[String]) -> Corpus {
    let text: String = words.iter().map(|word| format!("{word}\n")).collect();
    Corpus::from_text(&text, "generated").unwrap()
}

// ---------------------------------------------------------------- Vocab

#[test]
fn vocab_boundary_first_then_sorted() {
    let vocab = Vocab::from_words(&["zed", "amy", "a-b c"]);

    assert_eq!(vocab.chars(), &['.', ' ', '-', 'a', 'b', 'c', 'd', 'e', 'm', 'y', 'z']);
    assert_eq!(vocab.len(), 11);
    assert!(!vocab.is_empty());
}

#[test]
fn vocab_index_of_and_char_at() {
    // ' ' and '-' sort before '.', so index lookup must not assume that
    // the whole character list is sorted.
    let vocab = Vocab::from_words(&["a-b c"]);

    assert_eq!(vocab.index_of(BOUNDARY), Some(0));
    assert_eq!(vocab.index_of(' '), Some(1));
    assert_eq!(vocab.index_of('-'), Some(2));
    assert_eq!(vocab.index_of('c'), Some(5));
    assert_eq!(vocab.index_of('z'), None);
    for (index, &ch) in vocab.chars().iter().enumerate() {
        assert_eq!(vocab.char_at(index), Some(ch));
        assert_eq!(vocab.index_of(ch), Some(index));
    }
    assert_eq!(vocab.char_at(vocab.len()), None);
}

#[test]
fn vocab_of_no_words_is_boundary_only() {
    let words: [&str; 0] = [];
    let vocab = Vocab::from_words(&words);

    assert_eq!(vocab.chars(), &['.']);
    assert!(!vocab.is_empty());
}

#[test]
fn vocab_boundary_in_word_not_duplicated() {
    let vocab = Vocab::from_words(&["a.b"]);

    assert_eq!(vocab.chars(), &['.', 'a', 'b']);
}

#[test]
fn vocab_encode_decode_round_trip() {
    let corpus = Corpus::embedded();
    let vocab = corpus.vocab();

    for word in corpus.words() {
        let encoded = vocab.encode(word).unwrap();
        assert_eq!(encoded.len(), word.len());
        assert!(encoded.iter().all(|&index| index >= 1 && index < vocab.len()));
        assert_eq!(&vocab.decode(&encoded), word);
    }

    let mixed = Vocab::from_words(&["zoë", "mary ann"]);
    let encoded = mixed.encode("ë n").unwrap();
    assert_eq!(mixed.decode(&encoded), "ë n");
}

#[test]
fn vocab_encode_matches_makemore_indices() {
    let vocab = Corpus::embedded().vocab().clone();

    assert_eq!(vocab.encode("emma"), Some(vec![5, 13, 13, 1]));
    assert_eq!(vocab.decode(&[0, 26, 1, 0]), ".za.");
}

#[test]
fn vocab_encode_unknown_char_is_none() {
    let vocab = Vocab::from_words(&["emma"]);

    assert_eq!(vocab.encode("emmy"), None);
    assert_eq!(vocab.encode(""), Some(vec![]));
}

#[test]
#[should_panic(expected = "Vocab::decode: index 3 is out of range for a vocabulary of 3 characters")]
fn vocab_decode_out_of_range_panics() {
    let vocab = Vocab::from_words(&["ab"]);
    vocab.decode(&[1, 3]);
}

// ---------------------------------------------------------------- Dataset

#[test]
fn dataset_emma_pairs_block_size_3() {
    let vocab = Corpus::embedded().vocab().clone();
    let dataset = Dataset::new(&["emma"], &vocab, 3).unwrap();

    // '.'=0, a=1, e=5, m=13: ... -> e, ..e -> m, .em -> m, emm -> a, mma -> .
    let expected_contexts = [[0, 0, 0], [0, 0, 5], [0, 5, 13], [5, 13, 13], [13, 13, 1]];
    let expected_targets = [5, 13, 13, 1, 0];

    assert_eq!(dataset.len(), 5);
    assert_eq!(dataset.block_size(), 3);
    assert_eq!(dataset.contexts().shape(), &[5, 3]);
    for (row, expected) in expected_contexts.iter().enumerate() {
        assert_eq!(dataset.contexts().row(row).to_vec(), expected.to_vec(), "row {row}");
    }
    assert_eq!(dataset.targets().to_vec(), expected_targets.to_vec());
}

#[test]
fn dataset_context_resets_between_words() {
    let vocab = Corpus::embedded().vocab().clone();
    let dataset = Dataset::new(&["emma", "ava"], &vocab, 3).unwrap();

    assert_eq!(dataset.len(), 5 + 4);
    // 'a'=1, 'v'=22: ... -> a, ..a -> v, .av -> a, ava -> .
    assert_eq!(dataset.contexts().row(5).to_vec(), vec![0, 0, 0]);
    assert_eq!(dataset.contexts().row(8).to_vec(), vec![1, 22, 1]);
    assert_eq!(dataset.targets().to_vec()[5..], [1, 22, 1, 0]);
}

#[test]
fn dataset_block_size_1_is_bigram() {
    let vocab = Vocab::from_words(&["ab"]);
    let dataset = Dataset::new(&["ab"], &vocab, 1).unwrap();

    assert_eq!(dataset.contexts().column(0).to_vec(), vec![0, 1, 2]);
    assert_eq!(dataset.targets().to_vec(), vec![1, 2, 0]);
}

#[test]
fn dataset_block_size_longer_than_word() {
    let vocab = Vocab::from_words(&["ab"]);
    let dataset = Dataset::new(&["ab"], &vocab, 5).unwrap();

    assert_eq!(dataset.contexts().row(2).to_vec(), vec![0, 0, 0, 1, 2]);
}

#[test]
fn dataset_len_is_chars_plus_one_per_word() {
    let corpus = Corpus::embedded();
    let dataset = Dataset::new(corpus.words(), corpus.vocab(), 3).unwrap();
    let expected: usize = corpus.words().iter().map(|word| word.len() + 1).sum();

    assert_eq!(dataset.len(), expected);
    assert_eq!(dataset.contexts().nrows(), expected);
    assert!(dataset.contexts().iter().all(|&index| index < 27));
}

#[test]
fn dataset_of_no_words_is_empty() {
    let words: Vec<String> = Vec::new();
    let vocab = Vocab::from_words(&words);
    let dataset = Dataset::new(&words, &vocab, 3).unwrap();

    assert!(dataset.is_empty());
    assert_eq!(dataset.len(), 0);
    assert_eq!(dataset.contexts().shape(), &[0, 3]);
}

#[test]
fn dataset_zero_block_size_error() {
    let vocab = Vocab::from_words(&["ab"]);
    let err = Dataset::new(&["ab"], &vocab, 0).unwrap_err();

    assert!(matches!(err, DataError::ZeroBlockSize), "{err:?}");
    assert!(err.to_string().contains("block size 0"), "{err}");
}

#[test]
fn dataset_unknown_char_error() {
    let vocab = Vocab::from_words(&["emma"]);
    let err = Dataset::new(&["emma", "emmy"], &vocab, 3).unwrap_err();

    match &err {
        DataError::UnknownChar { word, index, ch } => {
            assert_eq!(word, "emmy");
            assert_eq!(*index, 1);
            assert_eq!(*ch, 'y');
        }
        other => panic!("expected UnknownChar, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("\"emmy\""), "{message}");
    assert!(message.contains("'y'"), "{message}");
    assert!(message.contains("index 1"), "{message}");
}

#[test]
fn dataset_boundary_in_word_error() {
    let words = ["ann", "st.john"];
    let vocab = Vocab::from_words(&words);
    let err = Dataset::new(&words, &vocab, 3).unwrap_err();

    match &err {
        DataError::BoundaryInWord { word, index } => {
            assert_eq!(word, "st.john");
            assert_eq!(*index, 1);
        }
        other => panic!("expected BoundaryInWord, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("\"st.john\""), "{message}");
    assert!(message.contains("'.'"), "{message}");
}

// ---------------------------------------------------------------- sample_batch

#[test]
fn sample_batch_shape_and_range() {
    let corpus = Corpus::embedded();
    let dataset = Dataset::new(corpus.words(), corpus.vocab(), 3).unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let (contexts, targets) = dataset.sample_batch(&mut rng, 32);

    assert_eq!(contexts.shape(), &[32, 3]);
    assert_eq!(targets.len(), 32);
    assert!(contexts.iter().all(|&index| index < corpus.vocab().len()));
    assert!(targets.iter().all(|&index| index < corpus.vocab().len()));
}

#[test]
fn sample_batch_rows_come_from_dataset() {
    let vocab = Corpus::embedded().vocab().clone();
    let dataset = Dataset::new(&["emma", "ava", "bob"], &vocab, 2).unwrap();
    let pairs: Vec<(Vec<usize>, usize)> = (0..dataset.len())
        .map(|row| (dataset.contexts().row(row).to_vec(), dataset.targets()[row]))
        .collect();

    let mut rng = StdRng::seed_from_u64(3);
    let (contexts, targets) = dataset.sample_batch(&mut rng, 200);
    for row in 0..200 {
        let pair = (contexts.row(row).to_vec(), targets[row]);
        assert!(pairs.contains(&pair), "sampled pair {pair:?} is not in the dataset");
    }
}

#[test]
fn sample_batch_draws_with_replacement() {
    let vocab = Vocab::from_words(&["ab"]);
    let dataset = Dataset::new(&["ab"], &vocab, 2).unwrap();
    let mut rng = StdRng::seed_from_u64(0);

    // 3 rows, batch of 50: every row is drawn and rows repeat.
    let (_, targets) = dataset.sample_batch(&mut rng, 50);
    assert_eq!(targets.len(), 50);
    for target in [0, 1, 2] {
        assert!(targets.iter().any(|&t| t == target), "target {target} never drawn");
    }
}

#[test]
fn sample_batch_deterministic_per_seed() {
    let corpus = Corpus::embedded();
    let dataset = Dataset::new(corpus.words(), corpus.vocab(), 3).unwrap();

    let first = dataset.sample_batch(&mut StdRng::seed_from_u64(11), 64);
    let second = dataset.sample_batch(&mut StdRng::seed_from_u64(11), 64);
    let other = dataset.sample_batch(&mut StdRng::seed_from_u64(12), 64);

    assert_eq!(first, second);
    assert_ne!(first, other);
}

#[test]
fn sample_batch_accepts_dyn_rng() {
    let vocab = Vocab::from_words(&["ab"]);
    let dataset = Dataset::new(&["ab"], &vocab, 2).unwrap();
    let mut rng = StdRng::seed_from_u64(5);
    let dyn_rng: &mut dyn rand::RngCore = &mut rng;

    let (contexts, _) = dataset.sample_batch(dyn_rng, 4);
    assert_eq!(contexts.shape(), &[4, 2]);
}

#[test]
#[should_panic(expected = "Dataset::sample_batch: batch_size must be at least 1, got 0")]
fn sample_batch_zero_size_panics() {
    let vocab = Vocab::from_words(&["ab"]);
    let dataset = Dataset::new(&["ab"], &vocab, 2).unwrap();
    dataset.sample_batch(&mut StdRng::seed_from_u64(0), 0);
}

#[test]
#[should_panic(expected = "Dataset::sample_batch: cannot draw a batch of 4 from an empty dataset (len 0)")]
fn sample_batch_empty_dataset_panics() {
    let words: [&str; 0] = [];
    let vocab = Vocab::from_words(&words);
    let dataset = Dataset::new(&words, &vocab, 2).unwrap();
    dataset.sample_batch(&mut StdRng::seed_from_u64(0), 4);
}

// ---------------------------------------------------------------- split

#[test]
fn split_sizes_for_10_words() {
    let split = corpus_of(&distinct_words(10)).split(42);

    assert_eq!(split.train.len(), 8);
    assert_eq!(split.val.len(), 1);
    assert_eq!(split.test.len(), 1);
}

#[test]
fn split_sizes_for_32033_words() {
    // n1 = (0.8 * 32033) as usize = 25626, n2 = (0.9 * 32033) as usize = 28829.
    let split = corpus_of(&distinct_words(32033)).split(42);

    assert_eq!(split.train.len(), 25626);
    assert_eq!(split.val.len(), 28829 - 25626);
    assert_eq!(split.test.len(), 32033 - 28829);
}

#[test]
fn split_sizes_for_tiny_corpora() {
    // (n, train, val, test) with truncating split points.
    let cases = [(1, 0, 0, 1), (2, 1, 0, 1), (5, 4, 0, 1), (11, 8, 1, 2)];
    for (n, train, val, test) in cases {
        let split = corpus_of(&distinct_words(n)).split(0);
        assert_eq!(split.train.len(), train, "train size for n={n}");
        assert_eq!(split.val.len(), val, "val size for n={n}");
        assert_eq!(split.test.len(), test, "test size for n={n}");
    }
}

#[test]
fn split_is_permutation_of_words() {
    let corpus = Corpus::embedded();
    let split = corpus.split(42);

    let mut rejoined: Vec<String> = split
        .train
        .iter()
        .chain(&split.val)
        .chain(&split.test)
        .cloned()
        .collect();
    assert_ne!(rejoined, corpus.words(), "split did not shuffle");
    rejoined.sort();
    assert_eq!(rejoined, corpus.words());
}

#[test]
fn split_deterministic_per_seed() {
    let corpus = Corpus::embedded();

    assert_eq!(corpus.split(42), corpus.split(42));
    assert_eq!(corpus.split(0), corpus.split(0));
}

#[test]
fn split_differs_across_seeds() {
    let corpus = Corpus::embedded();
    let first = corpus.split(42);
    let second = corpus.split(43);

    assert_ne!(first.train, second.train);
    assert_ne!(first.test, second.test);
}

#[test]
fn split_keeps_duplicates() {
    let corpus = Corpus::from_text("ann\nann\nann\nbob\n", "inline").unwrap();
    let split = corpus.split(1);
    let ann_count = split
        .train
        .iter()
        .chain(&split.val)
        .chain(&split.test)
        .filter(|word| *word == "ann")
        .count();

    assert_eq!(ann_count, 3);
}

// ---------------------------------------------------------------- embedded corpus

#[test]
fn embedded_corpus_counts() {
    let corpus = Corpus::embedded();

    assert_eq!(corpus.words().len(), 5163);
    assert_eq!(corpus.vocab().len(), 27);
    assert_eq!(corpus.blank_lines(), 0);
    assert_eq!(corpus.max_word_len(), 11);
    assert_eq!(corpus.source(), EMBEDDED_SOURCE);
}

#[test]
fn embedded_vocab_boundary_and_letters() {
    let corpus = Corpus::embedded();
    let mut expected = vec!['.'];
    expected.extend('a'..='z');

    assert_eq!(corpus.vocab().chars(), expected.as_slice());
}

#[test]
fn embedded_corpus_sorted_unique_lowercase() {
    let corpus = Corpus::embedded();
    let words = corpus.words();

    for pair in words.windows(2) {
        assert!(pair[0] < pair[1], "{:?} is not before {:?}", pair[0], pair[1]);
    }
    for word in words {
        assert!(word.chars().all(|ch| ch.is_ascii_lowercase()), "{word:?}");
    }
    assert!(words.iter().any(|word| word == "emma"));
    assert!(words.iter().any(|word| word == "james"));
}

// ---------------------------------------------------------------- line handling

#[test]
fn from_path_crlf_lines() {
    let file = TempFile::with_bytes("crlf", b"anna\r\nbob\r\n\r\ncarl\r\n");
    let corpus = Corpus::from_path(file.path()).unwrap();

    assert_eq!(corpus.words(), &["anna", "bob", "carl"]);
    assert_eq!(corpus.blank_lines(), 1);
    assert_eq!(corpus.vocab().index_of('\r'), None);
    assert_eq!(corpus.source(), file.path_text());
}

#[test]
fn from_path_without_trailing_newline() {
    let file = TempFile::with_bytes("no-final-newline", b"anna\nbob");
    let corpus = Corpus::from_path(file.path()).unwrap();

    assert_eq!(corpus.words(), &["anna", "bob"]);
    assert_eq!(corpus.blank_lines(), 0);
}

#[test]
fn from_text_trims_surrounding_whitespace() {
    let corpus = Corpus::from_text("  anna\t\n bob \n\u{a0}carl\u{3000}\n", "inline").unwrap();

    assert_eq!(corpus.words(), &["anna", "bob", "carl"]);
    assert_eq!(corpus.vocab().index_of(' '), None);
    assert_eq!(corpus.vocab().index_of('\t'), None);
}

#[test]
fn from_text_keeps_interior_whitespace() {
    let corpus = Corpus::from_text(" mary ann \nbilly\tjo\n", "inline").unwrap();

    assert_eq!(corpus.words(), &["mary ann", "billy\tjo"]);
    // '\t' sorts before ' ', and both sort before '.'.
    assert_eq!(corpus.vocab().index_of('\t'), Some(1));
    assert_eq!(corpus.vocab().index_of(' '), Some(2));
    assert_eq!(corpus.max_word_len(), 8);
}

#[test]
fn from_text_counts_blank_lines() {
    // Lines: "", "", "ann", "  ", "\t", "\r", "bob", "". The final newline
    // ends the "bob" line and adds no blank line.
    let corpus = Corpus::from_text("\n\nann\n  \n\t\n\r\nbob\n\n", "inline").unwrap();

    assert_eq!(corpus.words(), &["ann", "bob"]);
    assert_eq!(corpus.blank_lines(), 6);
}

#[test]
fn from_text_keeps_duplicates_in_order() {
    let corpus = Corpus::from_text("bob\nann\nbob\n", "inline").unwrap();

    assert_eq!(corpus.words(), &["bob", "ann", "bob"]);
}

#[test]
fn from_text_strips_byte_order_mark() {
    let corpus = Corpus::from_text("\u{feff}ann\nbob\n", "inline").unwrap();

    assert_eq!(corpus.words(), &["ann", "bob"]);
    assert_eq!(corpus.vocab().index_of('\u{feff}'), None);
}

#[test]
fn from_path_strips_byte_order_mark() {
    let file = TempFile::with_bytes("bom", b"\xef\xbb\xbfann\r\nbob\r\n");
    let corpus = Corpus::from_path(file.path()).unwrap();

    assert_eq!(corpus.words(), &["ann", "bob"]);
}

#[test]
fn from_path_non_ascii_words() {
    let file = TempFile::with_bytes("utf8", "zoë\nrené\n".as_bytes());
    let corpus = Corpus::from_path(file.path()).unwrap();

    assert_eq!(corpus.words(), &["zoë", "rené"]);
    assert_eq!(corpus.max_word_len(), 4);
    assert!(corpus.vocab().index_of('ë').is_some());
}

// ---------------------------------------------------------------- corpus errors

#[test]
fn from_path_not_found_error() {
    let path = std::env::temp_dir().join(format!("convgrad-data-test-{}-missing.txt", std::process::id()));
    let err = Corpus::from_path(&path).unwrap_err();

    assert!(matches!(&err, DataError::NotFound { path: p } if p == &path), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("not found"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
}

#[test]
fn from_path_directory_io_error() {
    let dir = std::env::temp_dir();
    let err = Corpus::from_path(&dir).unwrap_err();

    assert!(matches!(&err, DataError::Io { path, .. } if path == &dir), "{err:?}");
    assert!(err.source().is_some(), "Io error has no source");
    let message = err.to_string();
    assert!(message.contains("failed to read"), "{message}");
    assert!(message.contains(&dir.display().to_string()), "{message}");
}

#[test]
fn from_path_invalid_utf8_error() {
    let file = TempFile::with_bytes("invalid-utf8", b"ann\r\nbob\r\nca\xffrl\r\n\xfe\n");
    let err = Corpus::from_path(file.path()).unwrap_err();

    match &err {
        DataError::InvalidUtf8 { path, line } => {
            assert_eq!(path, file.path());
            assert_eq!(*line, 3);
        }
        other => panic!("expected InvalidUtf8, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("invalid UTF-8"), "{message}");
    assert!(message.contains(&file.path_text()), "{message}");
    assert!(message.contains("line 3"), "{message}");
}

#[test]
fn from_path_truncated_utf8_on_first_line() {
    // First byte of a two-byte sequence right before the newline.
    let file = TempFile::with_bytes("truncated-utf8", b"zo\xc3\nbob\n");
    let err = Corpus::from_path(file.path()).unwrap_err();

    assert!(matches!(err, DataError::InvalidUtf8 { line: 1, .. }), "{err:?}");
}

#[test]
fn from_path_empty_file_error() {
    let file = TempFile::with_bytes("empty", b"");
    let err = Corpus::from_path(file.path()).unwrap_err();

    assert!(
        matches!(&err, DataError::Empty { source_name } if *source_name == file.path_text()),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("is empty"), "{message}");
    assert!(message.contains(&file.path_text()), "{message}");
}

#[test]
fn from_text_empty_error() {
    for text in ["", "\u{feff}"] {
        let err = Corpus::from_text(text, "inline").unwrap_err();
        assert!(matches!(err, DataError::Empty { .. }), "text {text:?}: {err:?}");
    }
}

#[test]
fn from_path_blank_lines_only_error() {
    let file = TempFile::with_bytes("blank-only", b"\n  \r\n\t\n");
    let err = Corpus::from_path(file.path()).unwrap_err();

    match &err {
        DataError::NoWords {
            source_name,
            blank_lines,
        } => {
            assert_eq!(source_name, &file.path_text());
            assert_eq!(*blank_lines, 3);
        }
        other => panic!("expected NoWords, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("no words"), "{message}");
    assert!(message.contains("all 3 lines are blank"), "{message}");
    assert!(message.contains(&file.path_text()), "{message}");
}

#[test]
fn from_path_boundary_in_line_error() {
    let file = TempFile::with_bytes("boundary", b"ann\n\n  st.john \nbob\n");
    let err = Corpus::from_path(file.path()).unwrap_err();

    match &err {
        DataError::BoundaryInLine {
            source_name,
            line,
            word,
        } => {
            assert_eq!(source_name, &file.path_text());
            assert_eq!(*line, 3);
            assert_eq!(word, "st.john");
        }
        other => panic!("expected BoundaryInLine, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains(&file.path_text()), "{message}");
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("\"st.john\""), "{message}");
    assert!(message.contains("start/end token"), "{message}");
}

#[test]
fn from_text_boundary_error_names_label() {
    let err = Corpus::from_text("ann\n.\n", "my list").unwrap_err();
    let message = err.to_string();

    assert!(message.contains("my list"), "{message}");
    assert!(message.contains("line 2"), "{message}");
}

#[test]
fn only_io_error_has_source() {
    let vocab = Vocab::from_words(&["ab"]);
    let errors = [
        Corpus::from_text("", "inline").unwrap_err(),
        Corpus::from_text("\n", "inline").unwrap_err(),
        Corpus::from_text("a.b\n", "inline").unwrap_err(),
        Dataset::new(&["ab"], &vocab, 0).unwrap_err(),
        Dataset::new(&["abc"], &vocab, 2).unwrap_err(),
    ];
    for err in errors {
        assert!(err.source().is_none(), "{err:?} has a source");
    }
}
