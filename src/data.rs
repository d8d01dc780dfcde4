//! Character-level word corpora for makemore-style language models.
//!
//! A corpus is a UTF-8 text file with one word per line, such as a list of
//! first names. Each word is modelled as a sequence of characters framed by
//! the boundary token [`BOUNDARY`] (`.`, index 0 in every [`Vocab`]), which
//! marks both the start and the end of a word. A model with a context of
//! `block_size` characters learns to predict the next character, so the word
//! `emma` with a block size of 3 gives five (context → target) pairs:
//! `...→e`, `..e→m`, `.em→m`, `emm→a` and `mma→.`. [`Dataset`] builds these
//! pairs as index arrays.
//!
//! # How lines are read
//!
//! - Lines end at `\n`. Each line is trimmed of surrounding whitespace (as
//!   [`str::trim`] defines it), which also removes the `\r` of CRLF line ends.
//! - Blank lines, including lines of only whitespace, are skipped and counted
//!   in [`Corpus::blank_lines`], so callers can report them.
//! - Whitespace inside a line is kept as a character of the word.
//! - Duplicate words are kept, in file order.
//! - A UTF-8 byte order mark at the start of the text is removed.
//! - A word that contains [`BOUNDARY`] is rejected with
//!   [`DataError::BoundaryInLine`], because it would be indistinguishable from
//!   the start/end token.
//!
//! # Example
//!
//! ```
//! use convgrad::data::{Corpus, Dataset};
//!
//! let corpus = Corpus::from_text("emma\nolivia\nava\n", "inline").unwrap();
//! assert_eq!(corpus.vocab().len(), 8); // '.', a, e, i, l, m, o, v
//!
//! let split = corpus.split(42);
//! assert_eq!(split.train.len() + split.val.len() + split.test.len(), 3);
//!
//! let dataset = Dataset::new(corpus.words(), corpus.vocab(), 3).unwrap();
//! // One pair per character plus one for the end token.
//! assert_eq!(dataset.len(), 5 + 7 + 4);
//! assert_eq!(dataset.contexts().shape(), &[16, 3]);
//! ```

use std::collections::BTreeSet;
use std::error::Error;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, Axis};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Start/end token of every word. It always has index 0 in a [`Vocab`].
pub const BOUNDARY: char = '.';

/// Value of [`Corpus::source`] for the corpus returned by [`Corpus::embedded`].
pub const EMBEDDED_SOURCE: &str = "embedded default corpus";

/// Text of the embedded corpus: 5,163 unique lowercase first names from the
/// 1990 US Census name files, one a line. `data/README.md` describes how the
/// file was made.
const EMBEDDED_TEXT: &str = include_str!("../data/census1990_first_names.txt");

const UTF8_BOM: char = '\u{feff}';

/// Error returned when a corpus cannot be read or a dataset cannot be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum DataError {
    /// The corpus file does not exist.
    NotFound {
        /// Path that was opened.
        path: PathBuf,
    },
    /// Reading the corpus file failed for a reason other than a missing file,
    /// for example because the path is a directory or is not readable.
    Io {
        /// Path that was read.
        path: PathBuf,
        /// Error returned by the operating system.
        source: io::Error,
    },
    /// A line of the corpus file is not valid UTF-8.
    InvalidUtf8 {
        /// Path of the corpus file.
        path: PathBuf,
        /// 1-based number of the first line that is not valid UTF-8.
        line: usize,
    },
    /// The corpus text has no lines at all (zero bytes, or only a byte order
    /// mark).
    Empty {
        /// File path, or the label passed to [`Corpus::from_text`].
        source_name: String,
    },
    /// Every line of the corpus is blank or contains only whitespace.
    NoWords {
        /// File path, or the label passed to [`Corpus::from_text`].
        source_name: String,
        /// Number of blank lines read.
        blank_lines: usize,
    },
    /// A corpus line contains the boundary character [`BOUNDARY`].
    BoundaryInLine {
        /// File path, or the label passed to [`Corpus::from_text`].
        source_name: String,
        /// 1-based line number.
        line: usize,
        /// The trimmed line.
        word: String,
    },
    /// A word passed to [`Dataset::new`] contains the boundary character
    /// [`BOUNDARY`].
    BoundaryInWord {
        /// The word.
        word: String,
        /// Position of the word in the slice passed to [`Dataset::new`].
        index: usize,
    },
    /// A word passed to [`Dataset::new`] contains a character that is not in
    /// the vocabulary.
    UnknownChar {
        /// The word.
        word: String,
        /// Position of the word in the slice passed to [`Dataset::new`].
        index: usize,
        /// First character of the word that the vocabulary does not contain.
        ch: char,
    },
    /// [`Dataset::new`] was called with a block size of 0.
    ZeroBlockSize,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::NotFound { path } => {
                write!(f, "corpus file not found: {}", path.display())
            }
            DataError::Io { path, source } => {
                write!(f, "failed to read corpus file {}: {source}", path.display())
            }
            DataError::InvalidUtf8 { path, line } => write!(
                f,
                "invalid UTF-8 in corpus file {} at line {line}: the corpus must be UTF-8 text",
                path.display()
            ),
            DataError::Empty { source_name } => write!(f, "corpus {source_name} is empty: expected one word per line"),
            DataError::NoWords {
                source_name,
                blank_lines,
            } => write!(
                f,
                "corpus {source_name} has no words: all {blank_lines} lines are blank"
            ),
            DataError::BoundaryInLine {
                source_name,
                line,
                word,
            } => write!(
                f,
                "invalid word {word:?} in corpus {source_name} at line {line}: \
                 '{BOUNDARY}' is reserved as the start/end token"
            ),
            DataError::BoundaryInWord { word, index } => write!(
                f,
                "invalid word {word:?} at index {index}: \
                 '{BOUNDARY}' is reserved as the start/end token"
            ),
            DataError::UnknownChar { word, index, ch } => write!(
                f,
                "word {word:?} at index {index} contains {ch:?}, which is not in the vocabulary; \
                 build the Vocab from a word list that includes this word"
            ),
            DataError::ZeroBlockSize => write!(f, "invalid block size 0: the context must hold at least one character"),
        }
    }
}

impl Error for DataError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            DataError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Character vocabulary: [`BOUNDARY`] at index 0, then every other character
/// of the words in ascending `char` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocab {
    chars: Vec<char>,
}

impl Vocab {
    /// Builds the vocabulary of all characters that occur in `words`.
    ///
    /// [`BOUNDARY`] is always present at index 0, even for an empty word list,
    /// and a `.` inside a word adds no second entry.
    ///
    /// ```
    /// use convgrad::data::Vocab;
    ///
    /// let vocab = Vocab::from_words(&["bob", "abe"]);
    /// assert_eq!(vocab.chars(), &['.', 'a', 'b', 'e', 'o']);
    /// ```
    pub fn from_words<S: AsRef<str>>(words: &[S]) -> Vocab {
        let mut sorted: BTreeSet<char> = BTreeSet::new();
        for word in words {
            sorted.extend(word.as_ref().chars());
        }
        sorted.remove(&BOUNDARY);

        let mut chars = Vec::with_capacity(sorted.len() + 1);
        chars.push(BOUNDARY);
        chars.extend(sorted);
        Vocab { chars }
    }

    /// Returns the number of characters, including [`BOUNDARY`].
    ///
    /// ```
    /// use convgrad::data::Vocab;
    ///
    /// assert_eq!(Vocab::from_words(&["ab"]).len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Returns `false`: every vocabulary contains at least [`BOUNDARY`].
    ///
    /// ```
    /// use convgrad::data::Vocab;
    ///
    /// let words: [&str; 0] = [];
    /// assert!(!Vocab::from_words(&words).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// Returns the index of `c`, or `None` if the vocabulary does not contain it.
    ///
    /// ```
    /// use convgrad::data::Vocab;
    ///
    /// let vocab = Vocab::from_words(&["ab"]);
    /// assert_eq!(vocab.index_of('.'), Some(0));
    /// assert_eq!(vocab.index_of('b'), Some(2));
    /// assert_eq!(vocab.index_of('z'), None);
    /// ```
    pub fn index_of(&self, c: char) -> Option<usize> {
        if c == BOUNDARY {
            return Some(0);
        }
        // chars[1..] is sorted, but BOUNDARY need not sort before it
        // (' ' and '-' are smaller than '.'), so index 0 is handled above.
        self.chars[1..].binary_search(&c).ok().map(|position| position + 1)
    }

    /// Returns the character at `index`, or `None` if `index >= self.len()`.
    ///
    /// ```
    /// use convgrad::data::Vocab;
    ///
    /// let vocab = Vocab::from_words(&["ab"]);
    /// assert_eq!(vocab.char_at(0), Some('.'));
    /// assert_eq!(vocab.char_at(1), Some('a'));
    /// assert_eq!(vocab.char_at(3), None);
    /// ```
    pub fn char_at(&self, index: usize) -> Option<char> {
        self.chars.get(index).copied()
    }

    /// Returns all characters in index order.
    ///
    /// ```
    /// use convgrad::data::Vocab;
    ///
    /// assert_eq!(Vocab::from_words(&["ba"]).chars(), &['.', 'a', 'b']);
    /// ```
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// Converts each character of `word` to its index.
    ///
    /// No boundary tokens are added. Returns `None` if any character is not in
    /// the vocabulary.
    ///
    /// ```
    /// use convgrad::data::Vocab;
    ///
    /// let vocab = Vocab::from_words(&["emma"]);
    /// assert_eq!(vocab.encode("mae"), Some(vec![3, 1, 2]));
    /// assert_eq!(vocab.encode("max"), None);
    /// ```
    pub fn encode(&self, word: &str) -> Option<Vec<usize>> {
        word.chars().map(|c| self.index_of(c)).collect()
    }

    /// Converts indices back to a string.
    ///
    /// Index 0 becomes [`BOUNDARY`] like any other index, so a caller that
    /// decodes a sampled sequence strips or stops at it.
    ///
    /// # Panics
    ///
    /// Panics if an index is not less than [`Vocab::len`].
    ///
    /// ```
    /// use convgrad::data::Vocab;
    ///
    /// let vocab = Vocab::from_words(&["emma"]);
    /// assert_eq!(vocab.decode(&[2, 3, 3, 1, 0]), "emma.");
    /// ```
    pub fn decode(&self, indices: &[usize]) -> String {
        indices
            .iter()
            .map(|&index| {
                self.char_at(index).unwrap_or_else(|| {
                    panic!(
                        "Vocab::decode: index {index} is out of range for a vocabulary of {} characters",
                        self.len()
                    )
                })
            })
            .collect()
    }
}

/// Words of a corpus with their vocabulary.
#[derive(Debug, Clone)]
pub struct Corpus {
    words: Vec<String>,
    vocab: Vocab,
    source: String,
    blank_lines: usize,
}

impl Corpus {
    /// Reads a corpus file with one word per line.
    ///
    /// The module documentation lists how lines are trimmed and skipped.
    ///
    /// # Errors
    ///
    /// - [`DataError::NotFound`] if `path` does not exist.
    /// - [`DataError::Io`] if reading fails for another reason.
    /// - [`DataError::InvalidUtf8`] with the first line that is not UTF-8.
    /// - [`DataError::Empty`], [`DataError::NoWords`] and
    ///   [`DataError::BoundaryInLine`] as for [`Corpus::from_text`], with the
    ///   path as the source name.
    ///
    /// ```
    /// use convgrad::data::{Corpus, DataError};
    ///
    /// let path = std::env::temp_dir().join(format!("convgrad-doc-{}.txt", std::process::id()));
    /// std::fs::write(&path, "anna\r\nbob\r\n").unwrap();
    /// let corpus = Corpus::from_path(&path).unwrap();
    /// std::fs::remove_file(&path).unwrap();
    /// assert_eq!(corpus.words(), &["anna", "bob"]);
    ///
    /// let missing = Corpus::from_path(&path).unwrap_err();
    /// assert!(matches!(missing, DataError::NotFound { .. }));
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Result<Corpus, DataError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound {
                DataError::NotFound {
                    path: path.to_path_buf(),
                }
            } else {
                DataError::Io {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;

        // Decoding line by line, and not the whole file at once, gives the
        // line number of the first invalid byte sequence.
        let mut text = String::with_capacity(bytes.len());
        for (line_index, line) in bytes.split(|&byte| byte == b'\n').enumerate() {
            let line = std::str::from_utf8(line).map_err(|_| DataError::InvalidUtf8 {
                path: path.to_path_buf(),
                line: line_index + 1,
            })?;
            if line_index > 0 {
                text.push('\n');
            }
            text.push_str(line);
        }

        Corpus::from_text(&text, &path.display().to_string())
    }

    /// Parses a corpus from text with one word per line.
    ///
    /// `source` names the text in error messages and in [`Corpus::source`],
    /// for example a file path.
    ///
    /// # Errors
    ///
    /// - [`DataError::Empty`] if `text` has no lines.
    /// - [`DataError::NoWords`] if every line is blank.
    /// - [`DataError::BoundaryInLine`] for the first word that contains
    ///   [`BOUNDARY`].
    ///
    /// ```
    /// use convgrad::data::Corpus;
    ///
    /// let corpus = Corpus::from_text("  ava \n\nmary ann\n", "inline").unwrap();
    /// assert_eq!(corpus.words(), &["ava", "mary ann"]);
    /// assert_eq!(corpus.blank_lines(), 1);
    /// assert_eq!(corpus.source(), "inline");
    ///
    /// let err = Corpus::from_text("ava\nst.john\n", "inline").unwrap_err();
    /// assert!(err.to_string().contains("line 2"));
    /// ```
    pub fn from_text(text: &str, source: &str) -> Result<Corpus, DataError> {
        let text = text.strip_prefix(UTF8_BOM).unwrap_or(text);
        if text.is_empty() {
            return Err(DataError::Empty {
                source_name: source.to_string(),
            });
        }

        let mut words = Vec::new();
        let mut blank_lines = 0;
        for (line_index, line) in text.lines().enumerate() {
            let word = line.trim();
            if word.is_empty() {
                blank_lines += 1;
                continue;
            }
            if word.contains(BOUNDARY) {
                return Err(DataError::BoundaryInLine {
                    source_name: source.to_string(),
                    line: line_index + 1,
                    word: word.to_string(),
                });
            }
            words.push(word.to_string());
        }

        if words.is_empty() {
            return Err(DataError::NoWords {
                source_name: source.to_string(),
                blank_lines,
            });
        }

        let vocab = Vocab::from_words(&words);
        Ok(Corpus {
            words,
            vocab,
            source: source.to_string(),
            blank_lines,
        })
    }

    /// Returns the corpus compiled into the crate: 5,163 unique lowercase first
    /// names from the 1990 US Census (public-domain data), sorted, with a
    /// vocabulary of `.` and `a`–`z`.
    ///
    /// ```
    /// use convgrad::data::{Corpus, EMBEDDED_SOURCE};
    ///
    /// let corpus = Corpus::embedded();
    /// assert_eq!(corpus.words().len(), 5163);
    /// assert_eq!(corpus.vocab().len(), 27);
    /// assert_eq!(corpus.source(), EMBEDDED_SOURCE);
    /// ```
    pub fn embedded() -> Corpus {
        Corpus::from_text(EMBEDDED_TEXT, EMBEDDED_SOURCE)
            .expect("the embedded corpus data/census1990_first_names.txt is valid")
    }

    /// Returns the words in file order, duplicates included.
    ///
    /// ```
    /// use convgrad::data::Corpus;
    ///
    /// let corpus = Corpus::from_text("bo\nal\nbo\n", "inline").unwrap();
    /// assert_eq!(corpus.words(), &["bo", "al", "bo"]);
    /// ```
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// Returns the vocabulary of all characters in the words.
    ///
    /// ```
    /// use convgrad::data::Corpus;
    ///
    /// let corpus = Corpus::from_text("bo\nal\n", "inline").unwrap();
    /// assert_eq!(corpus.vocab().chars(), &['.', 'a', 'b', 'l', 'o']);
    /// ```
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// Returns the file path that the corpus was read from, the label passed to
    /// [`Corpus::from_text`], or [`EMBEDDED_SOURCE`].
    ///
    /// ```
    /// use convgrad::data::Corpus;
    ///
    /// let corpus = Corpus::from_text("al\n", "names.txt").unwrap();
    /// assert_eq!(corpus.source(), "names.txt");
    /// ```
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Returns the number of blank or whitespace-only lines that were skipped.
    ///
    /// A trailing newline at the end of the text does not count as a blank
    /// line.
    ///
    /// ```
    /// use convgrad::data::Corpus;
    ///
    /// let corpus = Corpus::from_text("al\n\n  \nbo\n", "inline").unwrap();
    /// assert_eq!(corpus.blank_lines(), 2);
    /// ```
    pub fn blank_lines(&self) -> usize {
        self.blank_lines
    }

    /// Returns the length of the longest word in characters (not bytes).
    ///
    /// ```
    /// use convgrad::data::Corpus;
    ///
    /// let corpus = Corpus::from_text("al\nzoë\n", "inline").unwrap();
    /// assert_eq!(corpus.max_word_len(), 3);
    /// ```
    pub fn max_word_len(&self) -> usize {
        self.words.iter().map(|word| word.chars().count()).max().unwrap_or(0)
    }

    /// Shuffles a copy of the words and splits it 80% / 10% / 10% into
    /// training, validation and test words.
    ///
    /// The shuffle uses `StdRng::seed_from_u64(seed)`, so a seed always gives
    /// the same split with the same `rand` version. The order differs from
    /// Python's `random.shuffle` with the same seed. With `n` words the split
    /// points are `n1 = (0.8 * n) as usize` and `n2 = (0.9 * n) as usize`,
    /// truncated as makemore does, so `train = words[..n1]`,
    /// `val = words[n1..n2]` and `test = words[n2..]`. A corpus of fewer than
    /// 10 words can give an empty training or validation part.
    ///
    /// ```
    /// use convgrad::data::Corpus;
    ///
    /// let text: String = (0..10).map(|i| format!("w{i}\n")).collect();
    /// let corpus = Corpus::from_text(&text, "inline").unwrap();
    /// let split = corpus.split(42);
    /// assert_eq!((split.train.len(), split.val.len(), split.test.len()), (8, 1, 1));
    /// assert_eq!(split, corpus.split(42));
    /// ```
    pub fn split(&self, seed: u64) -> Split {
        let mut shuffled = self.words.clone();
        let mut rng = StdRng::seed_from_u64(seed);
        shuffled.shuffle(&mut rng);

        let n = shuffled.len();
        let n1 = (0.8 * n as f64) as usize;
        let n2 = (0.9 * n as f64) as usize;

        let test = shuffled.split_off(n2);
        let val = shuffled.split_off(n1);
        Split {
            train: shuffled,
            val,
            test,
        }
    }
}

/// Training, validation and test words returned by [`Corpus::split`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The first 80% of the shuffled words.
    pub train: Vec<String>,
    /// The next 10% of the shuffled words.
    pub val: Vec<String>,
    /// The remaining words, about 10%.
    pub test: Vec<String>,
}

/// Next-character prediction pairs. Each row of [`Dataset::contexts`]
/// contains the indices of `block_size` preceding characters, and the same
/// row of [`Dataset::targets`] contains the index of the character that
/// follows them.
#[derive(Debug, Clone)]
pub struct Dataset {
    contexts: Array2<usize>,
    targets: Array1<usize>,
}

impl Dataset {
    /// Builds the (context, target) pairs of every word.
    ///
    /// For each word the context starts as `block_size` boundary indices (0).
    /// For each character of the word, and then for the end token, the
    /// current context and the character's index are pushed as one pair, and
    /// the context shifts left by one with that index appended. A word of `k`
    /// characters gives `k + 1` pairs. An empty slice gives an empty dataset.
    ///
    /// # Errors
    ///
    /// - [`DataError::ZeroBlockSize`] if `block_size` is 0.
    /// - [`DataError::BoundaryInWord`] for the first word that contains
    ///   [`BOUNDARY`].
    /// - [`DataError::UnknownChar`] for the first word with a character that
    ///   `vocab` does not contain.
    ///
    /// ```
    /// use convgrad::data::{Dataset, Vocab};
    ///
    /// let vocab = Vocab::from_words(&["emma"]); // '.'=0, a=1, e=2, m=3
    /// let dataset = Dataset::new(&["emma"], &vocab, 3).unwrap();
    /// assert_eq!(dataset.contexts().row(3).to_vec(), vec![2, 3, 3]); // "emm"
    /// assert_eq!(dataset.targets().to_vec(), vec![2, 3, 3, 1, 0]);
    /// ```
    pub fn new<S: AsRef<str>>(words: &[S], vocab: &Vocab, block_size: usize) -> Result<Dataset, DataError> {
        if block_size == 0 {
            return Err(DataError::ZeroBlockSize);
        }

        let mut context_values = Vec::new();
        let mut target_values = Vec::new();
        let mut context = vec![0; block_size];
        for (index, word) in words.iter().enumerate() {
            let word = word.as_ref();
            let encoded = encode_word(word, index, vocab)?;

            context.fill(0);
            for target in encoded.into_iter().chain(std::iter::once(0)) {
                context_values.extend_from_slice(&context);
                target_values.push(target);
                context.rotate_left(1);
                context[block_size - 1] = target;
            }
        }

        let rows = target_values.len();
        let contexts = Array2::from_shape_vec((rows, block_size), context_values)
            .expect("every target adds exactly block_size context values");
        Ok(Dataset {
            contexts,
            targets: Array1::from_vec(target_values),
        })
    }

    /// Returns the number of (context, target) pairs.
    ///
    /// ```
    /// use convgrad::data::{Dataset, Vocab};
    ///
    /// let vocab = Vocab::from_words(&["ab"]);
    /// assert_eq!(Dataset::new(&["ab", "b"], &vocab, 2).unwrap().len(), 5);
    /// ```
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Returns `true` if the dataset has no pairs, which happens only when
    /// [`Dataset::new`] got no words.
    ///
    /// ```
    /// use convgrad::data::{Dataset, Vocab};
    ///
    /// let words: [&str; 0] = [];
    /// let vocab = Vocab::from_words(&words);
    /// assert!(Dataset::new(&words, &vocab, 3).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Returns the number of characters in each context.
    ///
    /// ```
    /// use convgrad::data::{Dataset, Vocab};
    ///
    /// let vocab = Vocab::from_words(&["ab"]);
    /// assert_eq!(Dataset::new(&["ab"], &vocab, 4).unwrap().block_size(), 4);
    /// ```
    pub fn block_size(&self) -> usize {
        self.contexts.ncols()
    }

    /// Returns the contexts, shape `(len, block_size)`, as vocabulary indices.
    ///
    /// ```
    /// use convgrad::data::{Dataset, Vocab};
    ///
    /// let vocab = Vocab::from_words(&["ab"]);
    /// let dataset = Dataset::new(&["ab"], &vocab, 2).unwrap();
    /// assert_eq!(dataset.contexts().shape(), &[3, 2]);
    /// assert_eq!(dataset.contexts().row(2).to_vec(), vec![1, 2]); // "ab"
    /// ```
    pub fn contexts(&self) -> &Array2<usize> {
        &self.contexts
    }

    /// Returns the targets, shape `(len,)`, as vocabulary indices.
    ///
    /// ```
    /// use convgrad::data::{Dataset, Vocab};
    ///
    /// let vocab = Vocab::from_words(&["ab"]);
    /// let dataset = Dataset::new(&["ab"], &vocab, 2).unwrap();
    /// assert_eq!(dataset.targets().to_vec(), vec![1, 2, 0]);
    /// ```
    pub fn targets(&self) -> &Array1<usize> {
        &self.targets
    }

    /// Draws `batch_size` rows uniformly with replacement, as
    /// `torch.randint(0, len, (batch_size,))` indexing does, and returns their
    /// contexts, shape `(batch_size, block_size)`, and targets.
    ///
    /// # Panics
    ///
    /// Panics if `batch_size` is 0 or the dataset is empty.
    ///
    /// ```
    /// use convgrad::data::{Dataset, Vocab};
    /// use rand::{rngs::StdRng, SeedableRng};
    ///
    /// let vocab = Vocab::from_words(&["emma"]);
    /// let dataset = Dataset::new(&["emma"], &vocab, 3).unwrap();
    /// let mut rng = StdRng::seed_from_u64(0);
    /// let (contexts, targets) = dataset.sample_batch(&mut rng, 8);
    /// assert_eq!(contexts.shape(), &[8, 3]);
    /// assert!(targets.iter().all(|&t| t < vocab.len()));
    /// ```
    pub fn sample_batch<R: rand::Rng + ?Sized>(
        &self,
        rng: &mut R,
        batch_size: usize,
    ) -> (Array2<usize>, Array1<usize>) {
        assert!(
            batch_size > 0,
            "Dataset::sample_batch: batch_size must be at least 1, got {batch_size}"
        );
        assert!(
            !self.is_empty(),
            "Dataset::sample_batch: cannot draw a batch of {batch_size} from an empty dataset (len 0)"
        );

        let rows: Vec<usize> = (0..batch_size).map(|_| rng.random_range(0..self.len())).collect();
        (
            self.contexts.select(Axis(0), &rows),
            self.targets.select(Axis(0), &rows),
        )
    }
}

/// Encodes one word for [`Dataset::new`], where `index` is its position in
/// the word slice.
fn encode_word(word: &str, index: usize, vocab: &Vocab) -> Result<Vec<usize>, DataError> {
    word.chars()
        .map(|ch| {
            if ch == BOUNDARY {
                return Err(DataError::BoundaryInWord {
                    word: word.to_string(),
                    index,
                });
            }
            vocab.index_of(ch).ok_or_else(|| DataError::UnknownChar {
                word: word.to_string(),
                index,
                ch,
            })
        })
        .collect()
}
