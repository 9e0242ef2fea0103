//! The text encoder's joint image–text training (before the GAN; a resumed run skips it).

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;

use super::Text2ImageTrainConfig;
use crate::data::captioned::{CaptionedDataset, contrast};
use crate::latent::Rng;
use crate::losses::{hard_negatives, joint_embedding};
use crate::text::{self, TextEncoder};
use crate::train::batch_indices;

/// The joint image–text training of the text encoder (DS-SJE style); returns it frozen (inner
/// device, no autodiff).
pub(super) fn train_text_encoder(config: &Text2ImageTrainConfig, data: &CaptionedDataset, device: &Device) -> TextEncoder {
    let vocabulary = config.model.vocabulary();
    let mut encoder = config.model.text_encoder().init(device);
    let mut images = config.model.text_encoder().init_image_encoder(data.images.resolution, device);
    let (mut optim_t, mut optim_i) = (AdamConfig::new().init(), AdamConfig::new().init());
    let mut rng = Rng::new(config.run.seed ^ 0x7E47);
    let n = data.images.len;
    let batch = config.run.batch.min(n);
    let started = std::time::Instant::now();
    for step in 0..config.encoder_steps {
        let idx = batch_indices(config.run.seed ^ 0xE4C, batch, step, n);
        let captions: Vec<&str> = idx.iter().map(|&i| data.captions[i][rng.below(data.captions[i].len())].as_str()).collect();
        let negatives: Vec<Option<String>> = captions.iter().map(|c| contrast(c, &mut rng)).collect();
        // the captions, then their hard negatives (the caption itself where it has nothing to change)
        let ids: Vec<Vec<usize>> = captions
            .iter()
            .map(|c| c.to_string())
            .chain(negatives.iter().zip(&captions).map(|(neg, c)| neg.clone().unwrap_or_else(|| c.to_string())))
            .map(|c| vocabulary.tokenize(&c).ids)
            .collect();
        let keep: Vec<f32> = negatives.iter().map(|n| n.is_some() as u8 as f32).collect();
        let keep = Tensor::<2>::from_data(TensorData::new(keep, [idx.len(), 1]), device);
        let (ids, pad) = text::batch_ids(&ids, device);
        let texts = encoder.forward(ids, pad); // [2B, D]
        let b = idx.len();
        let (texts, negatives) = (texts.clone().slice([0..b]), texts.slice([b..2 * b]));
        let seen = images.forward(data.images.batch(&idx, device)); // [B, D]
        let loss = joint_embedding(seen.clone(), texts.clone(), config.margin)
            + hard_negatives(seen, texts, negatives, keep, config.margin) * config.hard_negatives;
        let mut grads = loss.backward();
        let (g_t, g_i) = (GradientsParams::from_module(&mut grads, &encoder), GradientsParams::from_module(&mut grads, &images));
        encoder = optim_t.step(config.encoder_lr, encoder, g_t);
        images = optim_i.step(config.encoder_lr, images, g_i);
        if step % 50 == 0 || step + 1 == config.encoder_steps {
            println!("text encoder (joint image–text training) step {}: loss {:.4} ({:.0} s)", step + 1, loss.into_scalar::<f32>(), started.elapsed().as_secs_f32());
        }
    }
    encoder.valid()
}
