//! Text for text-to-image: the tokenizer (whose vocabulary ships in the bundle) and the text
//! encoder that turns a description into the 256-number feature the generator reads.
//!
//! **Word level, not Reed's character level.** Captions here come from a closed vocabulary of
//! about 150 words, so a word-level encoder sees every word many times and trains in minutes on
//! a CPU, where a char-CNN-RNN needs hours; and a word it has never seen is reported to the user
//! ("ignored 2 unknown words: …") instead of being silently spelled into a misleading feature.
//! Order still matters ("pink petals and a yellow center" ≠ "yellow petals and a pink center"),
//! so the encoder is a small CNN over word embeddings (two width-3 convolutions see five words)
//! with max-over-time pooling, the "CNN" half of Reed's char-CNN-RNN.
//!
//! **Trained before the GAN** with a joint image–text objective in the style of DS-SJE (Reed et
//! al. 2016a): an image encoder and the text encoder map a picture and its caption to nearby
//! unit vectors, scored by their inner product, with a symmetric structured hinge loss against
//! the other captions and images of the batch ([`crate::losses::joint_embedding`]), and against
//! hard negatives: the caption itself with its number, a colour, or its two colours changed
//! ([`crate::losses::hard_negatives`], `data::captioned::contrast`). In-batch negatives differ in
//! everything, and colour alone tells them apart; without the hard ones the feature barely
//! moved when only the number word did (cosine 0.92–0.99). Then it is frozen, as
//! in GAN-INT-CLS: the GAN's conditioning stays still while G and D learn, and every caption's
//! embedding is computed once.

use burn::nn::conv::{Conv1d, Conv1dConfig, Conv2d, Conv2dConfig};
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig, PaddingConfig1d, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{leaky_relu, relu};
use serde::{Deserialize, Serialize};

/// Prompts are cut at this many characters (and the page says so).
pub const MAX_CHARS: usize = 200;
/// And at this many known words.
pub const MAX_WORDS: usize = 40;
/// Token ids below this are special: padding, start, end.
pub const PAD: usize = 0;
pub const START: usize = 1;
pub const END: usize = 2;
const SPECIALS: usize = 3;

/// Words to numbers, so "5 petals" and "five petals" mean the same.
const DIGITS: [(&str, &str); 12] = [
    ("1", "one"),
    ("2", "two"),
    ("3", "three"),
    ("4", "four"),
    ("5", "five"),
    ("6", "six"),
    ("7", "seven"),
    ("8", "eight"),
    ("9", "nine"),
    ("10", "ten"),
    ("11", "eleven"),
    ("12", "twelve"),
];

/// British and American spellings of the same word.
const SPELLINGS: [(&str, &str); 3] = [("colour", "color"), ("colours", "colors"), ("coloured", "colored")];

/// A prompt turned into token ids, with what was done to it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tokens {
    /// `START`, the known words' ids, `END`.
    pub ids: Vec<usize>,
    /// The words the model knows, in order (what it actually read).
    pub words: Vec<String>,
    pub unknown: Vec<String>,
    /// Characters that are neither letters nor digits nor ordinary punctuation (emoji, symbols).
    pub symbols: Vec<String>,
    /// Characters cut off beyond `MAX_CHARS`.
    pub cut_chars: usize,
    /// Known words cut off beyond `MAX_WORDS`.
    pub cut_words: usize,
}

impl Tokens {
    /// One sentence per thing the tokenizer did, for the page to show.
    pub fn notices(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.cut_chars > 0 {
            out.push(format!("truncated at {MAX_CHARS} characters ({} cut)", self.cut_chars));
        }
        if !self.unknown.is_empty() {
            let n = self.unknown.len();
            let mut shown: Vec<String> = self.unknown.iter().take(5).map(|w| format!("“{w}”")).collect();
            if n > 5 {
                shown.push("…".into());
            }
            out.push(format!("ignored {n} unknown word{}: {}", if n == 1 { "" } else { "s" }, shown.join(", ")));
        }
        if !self.symbols.is_empty() {
            out.push(format!("ignored {} symbol{} ({})", self.symbols.len(), if self.symbols.len() == 1 { "" } else { "s" }, self.symbols.concat()));
        }
        if self.cut_words > 0 {
            out.push(format!("read the first {MAX_WORDS} known words ({} more ignored)", self.cut_words));
        }
        if self.words.is_empty() {
            out.push("no words the model knows: drew flowers from the noise alone".into());
        }
        out
    }
}

/// The vocabulary: known words, each with id `SPECIALS + index`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Vocabulary {
    pub words: Vec<String>,
}

impl Vocabulary {
    /// Every word of `captions` (after normalisation), sorted.
    pub fn build<'a>(captions: impl IntoIterator<Item = &'a str>) -> Self {
        let mut words: Vec<String> = captions.into_iter().flat_map(|c| split_words(&c.to_lowercase()).0).map(normalise_word).collect();
        words.sort();
        words.dedup();
        Self { words }
    }

    /// Ids, including the specials.
    pub fn size(&self) -> usize {
        SPECIALS + self.words.len()
    }

    pub fn id(&self, word: &str) -> Option<usize> {
        self.words.binary_search_by(|w| w.as_str().cmp(word)).ok().map(|i| SPECIALS + i)
    }

    /// Tokenizes any string: never fails; says what it did in [`Tokens::notices`].
    pub fn tokenize(&self, prompt: &str) -> Tokens {
        let total = prompt.chars().count();
        let kept: String = prompt.chars().take(MAX_CHARS).collect();
        let (words, symbols) = split_words(&kept.to_lowercase());
        let mut tokens = Tokens {
            ids: vec![START],
            words: Vec::new(),
            unknown: Vec::new(),
            symbols,
            cut_chars: total.saturating_sub(MAX_CHARS),
            cut_words: 0,
        };
        for word in words.into_iter().map(normalise_word) {
            match self.id(&word) {
                Some(_) if tokens.words.len() == MAX_WORDS => tokens.cut_words += 1,
                Some(id) => {
                    tokens.ids.push(id);
                    tokens.words.push(word);
                }
                None => tokens.unknown.push(word),
            }
        }
        tokens.ids.push(END);
        tokens
    }
}

fn normalise_word(word: String) -> String {
    DIGITS
        .iter()
        .chain(SPELLINGS.iter())
        .find(|(from, _)| *from == word)
        .map(|(_, to)| to.to_string())
        .unwrap_or(word)
}

/// Splits lowercased text into words (runs of letters and digits, any script) and symbols
/// (characters that are neither word characters, whitespace nor ordinary punctuation).
fn split_words(text: &str) -> (Vec<String>, Vec<String>) {
    let mut words = Vec::new();
    let mut symbols = Vec::new();
    let mut word = String::new();
    for ch in text.chars() {
        if ch.is_alphanumeric() || (ch == '\'' && !word.is_empty()) {
            word.push(ch);
            continue;
        }
        if !word.is_empty() {
            words.push(std::mem::take(&mut word).trim_end_matches('\'').to_string());
        }
        let ordinary = ch.is_whitespace() || ch.is_ascii_punctuation() || "“”‘’–—…«»".contains(ch);
        // Zero-width joiners and variation selectors are parts of emoji, not symbols of their own.
        if !ordinary && !matches!(ch, '\u{200d}' | '\u{fe0f}' | '\u{fe0e}') && !ch.is_control() {
            symbols.push(ch.to_string());
        }
    }
    if !word.is_empty() {
        words.push(word.trim_end_matches('\'').to_string());
    }
    (words, symbols)
}

/// Token id sequences as a padded batch: ids `[B, T]` and a mask `[B, T]` that is true on padding.
pub fn batch_ids(sequences: &[Vec<usize>], device: &Device) -> (Tensor<2, Int>, Tensor<2, Bool>) {
    let b = sequences.len();
    let t = sequences.iter().map(Vec::len).max().unwrap_or(0).max(3);
    let mut ids = vec![PAD as i64; b * t];
    let mut pad = vec![true; b * t];
    for (i, s) in sequences.iter().enumerate() {
        for (j, &id) in s.iter().enumerate() {
            ids[i * t + j] = id as i64;
            pad[i * t + j] = false;
        }
    }
    (
        Tensor::from_data(TensorData::new(ids, [b, t]), device),
        Tensor::from_data(TensorData::new(pad, [b, t]), device),
    )
}

#[derive(Config, Debug, PartialEq)]
pub struct TextEncoderConfig {
    /// Token ids (specials + words): `Vocabulary::size`.
    pub vocab_size: usize,
    /// Size of a word embedding.
    #[config(default = 64)]
    pub word_dim: usize,
    /// Channels of the two convolutions over words.
    #[config(default = 128)]
    pub channels: usize,
    /// Size of the text feature: 256 as in Reed et al.
    #[config(default = 256)]
    pub dim: usize,
}

impl TextEncoderConfig {
    pub fn init(&self, device: &Device) -> TextEncoder {
        let conv = |c_in: usize, c_out: usize| {
            Conv1dConfig::new(c_in, c_out, 3).with_padding(PaddingConfig1d::Explicit(1, 1)).init(device)
        };
        TextEncoder {
            words: EmbeddingConfig::new(self.vocab_size, self.word_dim)
                .with_initializer(burn::nn::Initializer::Normal { mean: 0.0, std: 0.3 })
                .init(device),
            conv1: conv(self.word_dim, self.channels),
            conv2: conv(self.channels, self.channels),
            project: LinearConfig::new(self.channels, self.dim).init(device),
        }
    }
}

/// Words → 256-number unit vector.
#[derive(Module, Debug)]
pub struct TextEncoder {
    pub words: Embedding,
    pub conv1: Conv1d,
    pub conv2: Conv1d,
    pub project: Linear,
}

impl TextEncoder {
    /// ids `[B, T]`, padding mask `[B, T]` → unit vectors `[B, D]`.
    pub fn forward(&self, ids: Tensor<2, Int>, pad: Tensor<2, Bool>) -> Tensor<2> {
        let [b, t] = ids.dims();
        let keep = pad.clone().bool_not().float().reshape([b, 1, t]); // [B, 1, T]
        let x = self.words.forward(ids).swap_dims(1, 2) * keep.clone(); // [B, E, T], padding zeroed
        let x = relu(self.conv1.forward(x)) * keep.clone(); // [B, C, T]
        let x = relu(self.conv2.forward(x)); // [B, C, T]
        let c = x.dims()[1];
        let x = x.mask_fill(pad.reshape([b, 1, t]).expand([b, c, t]), -1e4); // padding never wins the max
        let pooled = x.max_dim(2).reshape([b, c]); // [B, C]
        l2_normalize(self.project.forward(pooled)) // [B, D]
    }
}

/// Rows scaled to unit length.
pub fn l2_normalize(x: Tensor<2>) -> Tensor<2> {
    let norm = x.clone().powi_scalar(2).sum_dim(1).add_scalar(1e-8).sqrt(); // [B, 1]
    x / norm
}

/// The image half of the joint embedding (training only): a small strided CNN down to 4×4, whose
/// whole map (not its mean: where things are is how petals are counted) is projected to a unit
/// vector.
#[derive(Module, Debug)]
pub struct ImageEncoder {
    pub convs: Vec<Conv2d>,
    pub project: Linear,
}

impl TextEncoderConfig {
    /// An image encoder for `resolution`-px images into the same `dim`-space.
    pub fn init_image_encoder(&self, resolution: usize, device: &Device) -> ImageEncoder {
        let mut convs = Vec::new();
        let (mut c, mut r) = (3, resolution);
        while r > 4 {
            let c_out = if c == 3 { 32 } else { (c * 2).min(256) };
            convs.push(Conv2dConfig::new([c, c_out], [4, 4]).with_stride([2, 2]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(device));
            (c, r) = (c_out, r / 2);
        }
        ImageEncoder { convs, project: LinearConfig::new(c * r * r, self.dim).init(device) }
    }
}

impl ImageEncoder {
    /// images `[B, 3, R, R]` → unit vectors `[B, D]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = images;
        for conv in &self.convs {
            x = leaky_relu(conv.forward(x), 0.2); // [B, C', H/2, W/2] … [B, C, 4, 4]
        }
        let [b, c, h, w] = x.dims();
        l2_normalize(self.project.forward(x.reshape([b, c * h * w]))) // [B, D]
    }
}
